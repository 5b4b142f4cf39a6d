/** The protected APIs: what the registry holds, for whoever manages tokens. */
import { isAdmin, type Caller } from '../access';
import type { PageQuery, UseCaseDeps } from './deps';

/** Reading the registry takes what reading tokens takes (the route's scope, or admin). */
export const APIS_SCOPE = 'tokens:read';

export class ApiUseCases {
  constructor(private readonly deps: UseCaseDeps) {}

  /** Registered APIs in key order, each with its stages, routes and the scopes it knows. */
  async list(caller: Caller, query: PageQuery) {
    const refusal =
      isAdmin(caller) || caller.scopes.includes(APIS_SCOPE)
        ? undefined
        : `Listing the protected APIs needs the ${APIS_SCOPE} scope`;
    await this.deps.guard.refuseUnless(caller, 'apis.list', undefined, refusal);
    const page = await this.deps.stores.apis.list({ limit: query.limit, cursor: query.cursor });
    return {
      items: page.items.map((api) => ({
        apiId: api.apiId,
        kind: api.kind,
        stages: api.stages,
        region: api.region,
        account: api.account,
        scopes: api.scopes,
        routes: api.routes,
        registeredAt: api.registeredAt,
      })),
      cursor: page.cursor,
    };
  }
}
