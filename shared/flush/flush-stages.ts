/**
 * Flush every protected stage once for a batch of lifecycle events, debounced per stage
 * (ledger.ts), and say which messages SQS must deliver again: those whose events some stage
 * has not been flushed after yet. A stage that succeeded is not flushed again for them.
 */
import type { FlushLedger } from './ledger';
import { stageKey, stagesToFlush, type ListStages, type ProtectedStage } from './stages';
import { flushTriggers, type FlushTrigger } from './triggers';

/** What a flush of one stage came to (stage-cache.ts translates API Gateway's errors). */
export type FlushOutcome =
  | { readonly kind: 'flushed' }
  /** The stage or API no longer exists: nothing is cached there to flush. */
  | { readonly kind: 'gone' }
  /** TooManyRequests after the SDK's own retries: try again later. */
  | { readonly kind: 'throttled'; readonly error: string }
  | { readonly kind: 'failed'; readonly error: string };

export interface StageCache {
  flush(stage: ProtectedStage): Promise<FlushOutcome>;
}

export interface FlushDeps {
  /** The platform's own stage, flushed whatever the registry says. */
  readonly platformStage: ProtectedStage;
  readonly listStages: ListStages;
  readonly cache: StageCache;
  readonly ledger: FlushLedger;
  /**
   * Where this function runs and may flush (its IAM names this region). Stages in other
   * accounts or regions are their owners' to flush, from their own rule on the bus.
   */
  readonly home: { readonly account: string; readonly region: string };
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Flushes in flight at once (API Gateway's control plane limits the account's rate). */
  readonly parallel?: number;
}

export interface StageFlush {
  readonly stage: ProtectedStage;
  readonly outcome: FlushOutcome;
  /** How many of the batch's events this one flush covered. */
  readonly events: number;
  /** How long it waited for the stage's debounce window. */
  readonly waitedMs: number;
}

export interface FlushReport {
  readonly triggers: readonly FlushTrigger[];
  readonly flushes: readonly StageFlush[];
  /** Events that rode on a flush another event of the batch also caused, summed over stages. */
  readonly coalesced: number;
  /** Stages that owed this batch nothing (already flushed after its events). */
  readonly alreadyCovered: number;
  /** Stages of other accounts or regions, not flushed here. */
  readonly foreign: readonly ProtectedStage[];
  /** The registry could not be listed: only the platform's stage was flushed. */
  readonly listingError: string | undefined;
  readonly batchItemFailures: readonly { readonly itemIdentifier: string }[];
}

const sleepFor = (ms: number) =>
  new Promise<void>((resolve) => {
    setTimeout(resolve, ms);
  });

export async function flushProtectedStages(event: unknown, deps: FlushDeps): Promise<FlushReport> {
  const now = deps.now ?? Date.now;
  const triggers = flushTriggers(event);
  let registered: readonly ProtectedStage[] = [];
  let listingError: string | undefined;
  try {
    registered = await deps.listStages();
  } catch (error) {
    listingError = String(error);
  }
  const all = stagesToFlush(deps.platformStage, registered);
  const isHome = (s: ProtectedStage) =>
    s.account === deps.home.account && s.region === deps.home.region;
  const foreign = all.filter((s) => !isHome(s));
  const own = all.filter(isHome);
  const ids = triggers.map((t) => t.id);
  const pending = deps.ledger.pending(ids, own.map(stageKey), now());
  const due = own.filter((s) => pending.has(stageKey(s)));
  const flushes = await eachLimited(due, deps.parallel ?? 4, async (stage) => {
    const key = stageKey(stage);
    const covers = pending.get(key) ?? [];
    const waitedMs = Math.max(0, deps.ledger.notBefore(key, now()) - now());
    if (waitedMs > 0) await (deps.sleep ?? sleepFor)(waitedMs);
    deps.ledger.started(key, now());
    const outcome = await deps.cache
      .flush(stage)
      .catch((error: unknown): FlushOutcome => ({ kind: 'failed', error: String(error) }));
    if (outcome.kind === 'flushed' || outcome.kind === 'gone') deps.ledger.covered(key, covers);
    return { stage, outcome, events: covers.length, waitedMs };
  });
  const unfinished = new Set<string>();
  for (const flush of flushes) {
    if (flush.outcome.kind === 'flushed' || flush.outcome.kind === 'gone') continue;
    for (const id of pending.get(stageKey(flush.stage)) ?? []) unfinished.add(id);
  }
  // Without the listing the registered stages are unknown: every message comes back, and the
  // platform's stage, covered now, is not flushed again for it.
  const failed = triggers.filter((t) => listingError !== undefined || unfinished.has(t.id));
  return {
    triggers,
    flushes,
    coalesced: flushes.reduce((sum, f) => sum + Math.max(0, f.events - 1), 0),
    alreadyCovered: own.length - due.length,
    foreign,
    listingError,
    batchItemFailures: [...new Set(failed.map((t) => t.messageId))].map((itemIdentifier) => ({
      itemIdentifier,
    })),
  };
}

/** `work` on every item, at most `limit` at a time, results in item order. */
async function eachLimited<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = [];
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) {
      const item = items[i];
      if (item !== undefined) results[i] = await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
