/**
 * The flusher's debounce, pure: which stages each lifecycle event still needs, and when a
 * stage may be flushed again.
 *
 * A flush of a stage covers every event the flusher held when the flush started: the event
 * comes from the audit stream, so its change was committed before the event existed, and every
 * policy cached before the flush is gone after it. No clock comparison is involved, so skew
 * between the writer's and the flusher's clocks cannot make a flush look like it covered a
 * change it did not.
 *
 * The ledger lives in one function instance. A cold instance knows nothing and flushes every
 * stage for its first batch: the safe side. A message SQS delivers again (after a partial batch
 * failure, or twice) does not flush the stages that already covered its event.
 */

export interface LedgerOptions {
  /** At most one flush of a stage per this many milliseconds (the debounce window). */
  readonly minIntervalMs: number;
  /** How long an event's covered stages are remembered (longer than SQS redelivers it). */
  readonly memoryMs?: number;
  /** At most this many events remembered; the oldest are forgotten first. */
  readonly maxEvents?: number;
}

interface Remembered {
  readonly firstSeen: number;
  readonly stages: Set<string>;
}

export class FlushLedger {
  private readonly lastStarted = new Map<string, number>();
  private readonly events = new Map<string, Remembered>();
  private readonly memoryMs: number;
  private readonly maxEvents: number;

  constructor(private readonly options: LedgerOptions) {
    this.memoryMs = options.memoryMs ?? 60 * 60 * 1000;
    this.maxEvents = options.maxEvents ?? 100_000;
  }

  /** Stage key → the events of `eventIds` that no flush of that stage has covered yet. */
  pending(eventIds: readonly string[], stageKeys: readonly string[], now: number) {
    this.forget(now);
    const pending = new Map<string, string[]>();
    for (const id of new Set(eventIds)) {
      let remembered = this.events.get(id);
      if (remembered === undefined) {
        remembered = { firstSeen: now, stages: new Set() };
        this.events.set(id, remembered);
      }
      for (const key of stageKeys) {
        if (remembered.stages.has(key)) continue;
        const list = pending.get(key) ?? [];
        list.push(id);
        pending.set(key, list);
      }
    }
    return pending;
  }

  /** When the next flush of `stageKey` may start: now, or a window after the last one began. */
  notBefore(stageKey: string, now: number): number {
    const last = this.lastStarted.get(stageKey);
    return last === undefined ? now : Math.max(now, last + this.options.minIntervalMs);
  }

  /** A flush of `stageKey` begins: the window counts from here, whether it succeeds or not. */
  started(stageKey: string, startedAt: number): void {
    this.lastStarted.set(stageKey, Math.max(startedAt, this.lastStarted.get(stageKey) ?? 0));
  }

  /** The flush of `stageKey` begun after `eventIds` arrived succeeded: it covers them. */
  covered(stageKey: string, eventIds: readonly string[]): void {
    for (const id of eventIds) this.events.get(id)?.stages.add(stageKey);
  }

  private forget(now: number): void {
    // Insertion order is first-seen order: the oldest are at the front.
    for (const [id, remembered] of this.events) {
      if (now - remembered.firstSeen < this.memoryMs && this.events.size < this.maxEvents) break;
      this.events.delete(id);
    }
  }
}
