import { describe, expect, it } from 'vitest';
import { AuditWriter } from './audit-writer.js';

/** A store whose statements the test commits (or fails) one by one. */
function store() {
  const statements: { items: number[]; commit: () => void; fail: (e: Error) => void }[] = [];
  const write = (items: number[]) =>
    new Promise<void>((resolve, reject) => statements.push({ items, commit: resolve, fail: reject }));
  return { statements, write };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('AuditWriter (group commit)', () => {
  it('writes at once when idle, and gathers what arrives meanwhile into the next statement', async () => {
    const s = store();
    const writer = new AuditWriter<number>(s.write, 1);
    const settled: number[] = [];
    const first = writer.add(1).then(() => settled.push(1));
    await tick();
    expect(s.statements.map((x) => x.items)).toEqual([[1]]);
    const rest = [2, 3, 4].map((n) => writer.add(n).then(() => settled.push(n)));
    await tick();
    expect(s.statements).toHaveLength(1); // waiting for the statement in flight
    s.statements[0].commit();
    await first;
    expect(settled).toEqual([1]);
    await tick();
    expect(s.statements.map((x) => x.items)).toEqual([[1], [2, 3, 4]]);
    s.statements[1].commit();
    await Promise.all(rest);
    expect(settled).toEqual([1, 2, 3, 4]);
  });

  it('a failed statement rejects every caller in it, and the next batch is still written', async () => {
    const s = store();
    const writer = new AuditWriter<number>(s.write, 1);
    const first = writer.add(1);
    await tick();
    const second = [writer.add(2), writer.add(3)];
    s.statements[0].commit();
    await first;
    await tick();
    const fourth = writer.add(4);
    s.statements[1].fail(new Error('disk full'));
    await expect(second[0]).rejects.toThrow('disk full');
    await expect(second[1]).rejects.toThrow('disk full');
    await tick();
    expect(s.statements[2].items).toEqual([4]);
    s.statements[2].commit();
    await expect(fourth).resolves.toBeUndefined();
  });

  it('runs up to maxInFlight statements at once and caps their size', async () => {
    const s = store();
    const writer = new AuditWriter<number>(s.write, 2, 2);
    const all = [1, 2, 3, 4, 5].map((n) => writer.add(n));
    await tick();
    expect(s.statements.map((x) => x.items)).toEqual([[1], [2]]);
    s.statements[0].commit();
    await tick();
    expect(s.statements.map((x) => x.items)).toEqual([[1], [2], [3, 4]]);
    s.statements[1].commit();
    await tick();
    expect(s.statements.map((x) => x.items)).toEqual([[1], [2], [3, 4], [5]]);
    s.statements.slice(2).forEach((x) => x.commit());
    await Promise.all(all);
  });

  it('a write that throws synchronously rejects its callers instead of escaping', async () => {
    const writer = new AuditWriter<number>(() => {
      throw new Error('bad batch');
    });
    await expect(writer.add(1)).rejects.toThrow('bad batch');
  });
});
