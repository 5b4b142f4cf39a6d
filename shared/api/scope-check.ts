/**
 * Only scopes that something enforces can be issued: the platform's own (the admin scope and
 * the management routes' scopes) and those of the registered APIs' catalogs. The rule is
 * ./token/known-scopes.ts; this applies it with one Query of the registry, skipped when every
 * scope asked for is the platform's own.
 *
 * An empty registry knows no API scope: until a consumer authorizer registers its API, only
 * the platform's own scopes can be issued (a token for an API nobody registered would grant
 * nothing, and a typo would go unnoticed).
 */
import { ADMIN_SCOPE } from '../authz/routes';
import type { ApiRegistryRepository } from '../store/api-registry';
import { unknownScopeRefusal, unknownScopes } from '../token/known-scopes';
import { ApiError } from './errors';
import { MANAGEMENT_ROUTES } from './routes';

/** The scopes the platform itself knows, registry or not. */
export const PLATFORM_SCOPES: ReadonlySet<string> = new Set([
  ADMIN_SCOPE,
  ...MANAGEMENT_ROUTES.flatMap((route) => route.scopes),
]);

/** Refuse (400) `scopes` unless each is the platform's own or a registered API's. */
export async function refuseUnknownScopes(
  registry: Pick<ApiRegistryRepository, 'knownScopes'>,
  scopes: readonly string[],
): Promise<void> {
  if (unknownScopes(scopes, PLATFORM_SCOPES).length === 0) return;
  const registered = await registry.knownScopes();
  const known = new Set([...PLATFORM_SCOPES, ...registered.scopes]);
  const refusal = unknownScopeRefusal(scopes, known, registered.apis);
  if (refusal !== undefined) throw new ApiError(400, refusal);
}
