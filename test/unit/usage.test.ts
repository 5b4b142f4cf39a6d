import { describe, expect, it } from 'vitest';
import { UsageTracker } from '../../shared/usage';

const t0 = new Date('2026-06-01T00:00:00.000Z');
const after = (ms: number) => new Date(t0.getTime() + ms);

describe('UsageTracker', () => {
  it('writes on the first use of a token, then at most once per interval', () => {
    const tracker = new UsageTracker(60_000);
    expect(tracker.record('h1', t0)).toEqual({ tokenHash: 'h1', count: 1, at: t0 });
    const writes = Array.from({ length: 1_000 }, (_, i) => tracker.record('h1', after(i * 50)));
    expect(writes.filter((w) => w !== undefined)).toEqual([]);
    expect(tracker.record('h1', after(60_000))).toEqual({
      tokenHash: 'h1',
      count: 1_001,
      at: after(60_000),
    });
  });

  it('tracks tokens independently', () => {
    const tracker = new UsageTracker(60_000);
    expect(tracker.record('a', t0)?.count).toBe(1);
    expect(tracker.record('b', t0)?.count).toBe(1);
    expect(tracker.record('a', after(1))).toBeUndefined();
  });

  it('bounds memory by evicting the oldest tracked token', () => {
    const tracker = new UsageTracker(60_000, 3);
    for (const hash of ['a', 'b', 'c', 'd']) tracker.record(hash, t0);
    expect(tracker.size).toBe(3);
    // 'a' was evicted, so its next use is a first use again.
    expect(tracker.record('a', after(1))?.count).toBe(1);
    expect(tracker.record('d', after(1))).toBeUndefined();
  });
});
