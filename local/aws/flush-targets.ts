/**
 * API Gateway's authorizer cache flush calls, addressed per API and stage as AWS addresses
 * them: REST APIs' FlushStageAuthorizersCache (`DELETE /restapis/{id}/stages/{stage}/cache/
 * authorizers`) and HTTP APIs' ResetAuthorizersCache (`DELETE /v2/apis/{id}/stages/{stage}/
 * cache/authorizers`). The local stack maps each of its stages to the gateway serving it; a
 * second local API adds its own entry.
 */

export interface FlushTarget {
  /** Drop every cached policy; returns how many there were. */
  flushCache(): number;
}

export type FlushTargets = ReadonlyMap<string, FlushTarget>;

export type ApiKind = 'rest' | 'http';

export const flushTargetKey = (kind: ApiKind, apiId: string, stage: string) =>
  `${kind} ${apiId}/${stage}`;

const PATHS: readonly [ApiKind, RegExp][] = [
  ['rest', /^\/restapis\/([^/]+)\/stages\/([^/]+)\/cache\/authorizers$/],
  ['http', /^\/v2\/apis\/([^/]+)\/stages\/([^/]+)\/cache\/authorizers$/],
];

/** The flush a `DELETE` of this path asks for, or undefined when it is no flush path. */
export function flushRequest(path: string): { kind: ApiKind; key: string } | undefined {
  for (const [kind, pattern] of PATHS) {
    const match = pattern.exec(path);
    if (match?.[1] === undefined || match[2] === undefined) continue;
    try {
      const key = flushTargetKey(kind, decodeURIComponent(match[1]), decodeURIComponent(match[2]));
      return { kind, key };
    } catch {
      return undefined;
    }
  }
  return undefined;
}
