import { describe, expect, it } from 'vitest';
import { isSuperseded, levelsToSchedule } from './escalation-plan.js';
import { escalationMessage, formatDuration } from './escalation-messages.js';

const MIN = 60_000;
// 30 minutes allowed: 50 % at +15 min, 80 % at +24 min, breach at +30 min.
const received = Date.UTC(2026, 10, 23, 14, 0);
const item = { receivedAt: new Date(received), dueAt: new Date(received + 30 * MIN) };

describe('which escalation jobs the sweep re-creates', () => {
  it('the next level ahead', () => {
    expect(levelsToSchedule(item, [], received + MIN)).toEqual(['WARN_50']);
    expect(levelsToSchedule(item, ['WARN_50'], received + 20 * MIN)).toEqual(['WARN_80']);
    // Fired early (promoted by hand): the chain goes on after it.
    expect(levelsToSchedule(item, ['WARN_50', 'WARN_80'], received + 20 * MIN)).toEqual(['BREACH']);
  });
  it('the latest due level if it never fired, then the next one ahead', () => {
    expect(levelsToSchedule(item, [], received + 20 * MIN)).toEqual(['WARN_50', 'WARN_80']);
    // Past 80 % with nothing fired (Redis lost everything): one 80 % warning, not a 50 % one too.
    expect(levelsToSchedule(item, [], received + 25 * MIN)).toEqual(['WARN_80', 'BREACH']);
    expect(levelsToSchedule(item, ['WARN_80'], received + 25 * MIN)).toEqual(['BREACH']);
  });
  it('nothing once the breach fired', () => {
    expect(levelsToSchedule(item, ['BREACH'], received + 40 * MIN)).toEqual([]);
    expect(levelsToSchedule(item, [], received + 40 * MIN)).toEqual(['BREACH']);
  });
});

describe('superseded warnings', () => {
  it('a warning is old news a minute after the next level came due; a breach never is', () => {
    expect(isSuperseded('WARN_50', item, received + 24 * MIN + 59_000)).toBe(false);
    expect(isSuperseded('WARN_50', item, received + 25 * MIN)).toBe(true);
    expect(isSuperseded('WARN_80', item, received + 30 * MIN)).toBe(false);
    expect(isSuperseded('WARN_80', item, received + 31 * MIN)).toBe(true);
    expect(isSuperseded('BREACH', item, received + 999 * MIN)).toBe(false);
  });
});

describe('messages', () => {
  const c = {
    priority: 'STAT' as const,
    modality: 'CT',
    bodyPart: 'HEAD',
    description: 'CT HEAD WITHOUT CONTRAST',
    accessionNumber: 'ACC1',
    hospitalName: 'Hospital A',
    hospitalTimezone: 'America/Chicago',
    dueAt: item.dueAt,
    readerName: null,
  };
  it('80 %, nobody holds the case: says so', () => {
    const m = escalationMessage('WARN_80', c, received + 24 * MIN);
    expect(m).toMatchObject({ kind: 'SLA_WARN_80', title: 'STAT CT head at Hospital A: 6 min left, unclaimed' });
    expect(m.body).toBe('80 % of the turnaround time has passed. Accession ACC1 · CT HEAD WITHOUT CONTRAST · due 08:30 CST · unclaimed.');
  });
  it('50 % with a reader; breach says how late', () => {
    expect(escalationMessage('WARN_50', { ...c, readerName: 'Dr Neuro' }, received + 15 * MIN)).toMatchObject({
      kind: 'SLA_WARN_50',
      title: 'STAT CT head at Hospital A: 15 min left',
    });
    expect(escalationMessage('WARN_50', { ...c, readerName: 'Dr Neuro' }, received + 15 * MIN).body).toContain('with Dr Neuro');
    expect(escalationMessage('BREACH', c, received + 32 * MIN).title).toBe('STAT CT head at Hospital A: overdue by 2 min');
  });
  it('durations as readers say them', () => {
    expect([formatDuration(30_000), formatDuration(6 * MIN), formatDuration(80 * MIN), formatDuration(120 * MIN), formatDuration(50 * 60 * MIN)]).toEqual([
      '<1 min',
      '6 min',
      '1 h 20 min',
      '2 h',
      '2 d 2 h',
    ]);
  });
});
