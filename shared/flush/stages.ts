/**
 * The stages whose authorizer caches a revocation must reach: the platform's own stage, always,
 * and every stage the API registry lists. API Gateway can only flush a whole stage, so a stage
 * is the unit of everything here.
 */
import type { ProtectedStage } from '../store/api-registry';

/**
 * One deployed stage behind a token authorizer (REST: FlushStageAuthorizersCache; HTTP API:
 * ResetAuthorizersCache), as the API registry lists it.
 */
export type { ProtectedStage };

/** The registry's listing (shared/store/api-registry.ts), injected so the core needs no table. */
export type ListStages = () => Promise<readonly ProtectedStage[]>;

/** A stage's identity: two listings of the same stage are one stage. */
export function stageKey(stage: ProtectedStage): string {
  return `${stage.kind}:${stage.account}:${stage.region}:${stage.apiId}/${stage.stage}`;
}

/** Short and unique enough for a log line or a metric dimension. */
export function stageLabel(stage: ProtectedStage): string {
  return `${stage.kind} ${stage.apiId}/${stage.stage}`;
}

/** The platform's stage first, then each registered stage once, in listing order. */
export function stagesToFlush(
  platform: ProtectedStage,
  registered: readonly ProtectedStage[],
): ProtectedStage[] {
  const seen = new Map<string, ProtectedStage>([[stageKey(platform), platform]]);
  for (const stage of registered) if (!seen.has(stageKey(stage))) seen.set(stageKey(stage), stage);
  return [...seen.values()];
}
