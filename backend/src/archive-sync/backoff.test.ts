import { describe, expect, it } from 'vitest';
import { backoffMs, dicomDate } from './backoff.js';

describe('archive sync backoff', () => {
  it('waits one interval after the first failure, doubles, and stops growing at 32 intervals', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7, 50].map((n) => backoffMs(n, 10_000))).toEqual([0, 10_000, 20_000, 40_000, 80_000, 160_000, 320_000, 320_000, 320_000]);
  });

  it('formats DICOM dates in UTC', () => {
    expect(dicomDate(new Date('2026-11-23T23:30:00Z'))).toBe('20261123');
  });
});
