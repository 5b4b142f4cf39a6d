/**
 * The flusher's debounce: a burst of lifecycle events flushes each stage once per window, every
 * event is covered on every stage by a flush that began after it arrived, and a message SQS
 * delivers again does not flush a stage that already covered it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  flushProtectedStages,
  type FlushOutcome,
  type StageCache,
} from '../../shared/flush/flush-stages';
import { FlushLedger } from '../../shared/flush/ledger';
import { stageKey, type ProtectedStage } from '../../shared/flush/stages';
import { ACCOUNT, FakeClock, PLATFORM_STAGE, sqsBatch, stage } from '../support/flush';

const WINDOW_MS = 2_000;

/** A cache that records each flush with the time it began. */
class RecordingCache implements StageCache {
  readonly flushes: { key: string; at: number }[] = [];
  constructor(
    private readonly clock: FakeClock,
    private readonly answer: (stage: ProtectedStage) => FlushOutcome = () => ({
      kind: 'flushed',
    }),
  ) {}
  flush(stage: ProtectedStage): Promise<FlushOutcome> {
    this.flushes.push({ key: stageKey(stage), at: this.clock.now() });
    return Promise.resolve(this.answer(stage));
  }
  of(stage: ProtectedStage) {
    return this.flushes.filter((f) => f.key === stageKey(stage)).map((f) => f.at);
  }
}

function rig(registered: readonly ProtectedStage[], answer?: (s: ProtectedStage) => FlushOutcome) {
  const clock = new FakeClock();
  const cache = new RecordingCache(clock, answer);
  const ledger = new FlushLedger({ minIntervalMs: WINDOW_MS });
  const deps = {
    platformStage: PLATFORM_STAGE,
    listStages: () => Promise.resolve(registered),
    cache,
    ledger,
    home: { account: ACCOUNT, region: 'us-east-1' },
    now: clock.now,
    sleep: clock.sleep,
  };
  return { clock, cache, deps, stages: [PLATFORM_STAGE, ...registered] };
}

const registeredStages = fc
  .uniqueArray(fc.stringMatching(/^[a-z0-9]{4,10}$/), { maxLength: 5 })
  .map((ids) => ids.map((id) => stage(id)));

describe('the stage flusher: debounce', () => {
  it('flushes each stage exactly once for any burst of N events in one batch', async () => {
    await fc.assert(
      fc.asyncProperty(registeredStages, fc.integer({ min: 1, max: 3_000 }), async (reg, n) => {
        const { cache, deps, stages } = rig(reg);
        const ids = Array.from({ length: n }, (_, i) => `e-${String(i)}`);
        const report = await flushProtectedStages(sqsBatch(ids), deps);
        for (const s of stages) expect(cache.of(s)).toHaveLength(1);
        expect(report.coalesced).toBe(stages.length * (n - 1));
        expect(report.batchItemFailures).toEqual([]);
      }),
      { numRuns: 50 },
    );
  });

  it('over any arrival pattern, flushes a stage at most once per window and covers every event after it arrived', async () => {
    const arrivals = fc.array(
      fc.record({
        gapMs: fc.integer({ min: 0, max: 5_000 }),
        events: fc.array(fc.integer({ min: 0, max: 200 }), { minLength: 1, maxLength: 50 }),
      }),
      { minLength: 1, maxLength: 20 },
    );
    await fc.assert(
      fc.asyncProperty(registeredStages, arrivals, async (reg, batches) => {
        const { clock, cache, deps, stages } = rig(reg);
        const arrivedAt = new Map<string, number>();
        for (const [b, batch] of batches.entries()) {
          clock.t += batch.gapMs;
          const ids = batch.events.map((e) => `e-${String(e)}`);
          // An id seen before is a duplicate delivery: its first arrival is what counts.
          for (const id of ids) if (!arrivedAt.has(id)) arrivedAt.set(id, clock.now());
          await flushProtectedStages(sqsBatch(ids, `b${String(b)}`), deps);
        }
        for (const s of stages) {
          const times = cache.of(s);
          for (let i = 1; i < times.length; i++) {
            expect((times[i] ?? 0) - (times[i - 1] ?? 0)).toBeGreaterThanOrEqual(WINDOW_MS);
          }
          for (const at of arrivedAt.values()) {
            expect(times.some((t) => t >= at)).toBe(true);
          }
          expect(times.length).toBeLessThanOrEqual(batches.length);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('does not flush again for a message delivered twice', async () => {
    const { cache, deps } = rig([stage('consumer1')]);
    await flushProtectedStages(sqsBatch(['e-1', 'e-2']), deps);
    const again = await flushProtectedStages(sqsBatch(['e-2'], 'redelivered'), deps);
    expect(cache.flushes).toHaveLength(2);
    expect(again.flushes).toEqual([]);
    expect(again.alreadyCovered).toBe(2);
  });

  it('forgets what it covered after its memory, and then flushes again: the safe side', () => {
    const clock = new FakeClock();
    const ledger = new FlushLedger({ minIntervalMs: 0, memoryMs: 60_000, maxEvents: 2 });
    const key = stageKey(PLATFORM_STAGE);
    expect(ledger.pending(['e-1'], [key], clock.now())).toEqual(new Map([[key, ['e-1']]]));
    ledger.covered(key, ['e-1']);
    expect(ledger.pending(['e-1'], [key], clock.now())).toEqual(new Map());
    // Two newer events push the oldest out (maxEvents), as does time (memoryMs).
    ledger.pending(['e-2', 'e-3'], [key], clock.now());
    expect(ledger.pending(['e-1'], [key], clock.now())).toEqual(new Map([[key, ['e-1']]]));
    ledger.covered(key, ['e-1']);
    clock.t += 60_000;
    expect(ledger.pending(['e-1'], [key], clock.now()).get(key)).toEqual(['e-1']);
  });

  it('waits out the window when a new event arrives just after a flush, then flushes once more', async () => {
    const { clock, cache, deps } = rig([]);
    await flushProtectedStages(sqsBatch(['e-1']), deps);
    clock.t += 500;
    const report = await flushProtectedStages(sqsBatch(['e-2']), deps);
    expect(report.flushes[0]?.waitedMs).toBe(WINDOW_MS - 500);
    expect(cache.of(PLATFORM_STAGE)).toEqual([1_000_000, 1_000_000 + WINDOW_MS]);
  });

  it('leaves stages of other accounts and regions to their owners', async () => {
    const theirs = stage('theirs1', { account: '210987654321' });
    const elsewhere = stage('elsewhere1', { region: 'eu-west-1' });
    const { cache, deps } = rig([theirs, elsewhere]);
    const report = await flushProtectedStages(sqsBatch(['e-1']), deps);
    expect(cache.flushes.map((f) => f.key)).toEqual([stageKey(PLATFORM_STAGE)]);
    expect(report.foreign).toEqual([theirs, elsewhere]);
  });

  it('counts a registered stage listed twice once', async () => {
    const consumer = stage('consumer1');
    const { cache, deps } = rig([consumer, consumer, PLATFORM_STAGE]);
    await flushProtectedStages(sqsBatch(['e-1']), deps);
    expect(cache.flushes).toHaveLength(2);
  });
});
