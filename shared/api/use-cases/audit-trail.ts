/** The audit trail, for admins: the events of one token or of one day, newest first. */
import { isAdmin, type Caller } from '../access';
import { ApiError } from '../errors';
import type { PageQuery, UseCaseDeps } from './deps';

/** Exactly one of `targetId` (a token id, or `owner:<owner>`) and `day` (`2026-11-23`). */
export interface AuditListing extends PageQuery {
  readonly targetId?: string | undefined;
  readonly day?: string | undefined;
}

export class AuditTrailUseCases {
  constructor(private readonly deps: UseCaseDeps) {}

  async list(caller: Caller, query: AuditListing) {
    if (!isAdmin(caller)) throw new ApiError(403, 'The audit trail needs the admin scope');
    const page = { limit: query.limit, cursor: query.cursor };
    const result =
      query.targetId !== undefined
        ? await this.deps.stores.audit.listByTarget(query.targetId, page)
        : await this.deps.stores.audit.listByDay(query.day ?? '', page);
    return { items: result.items, cursor: result.cursor };
  }
}
