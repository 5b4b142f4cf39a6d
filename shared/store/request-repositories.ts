/** The repositories of rotation requests and bootstrap exchanges (implemented beside them). */
import type { NewToken, TokenRecord } from '../token/record';
import type { Closing, Decision } from '../token/rotation-request';
import type { AuditContext } from './audit';
import type { Page, PageRequest } from './dynamo/paging';
import type { ChangeResult } from './dynamo/table';
import type { Rotated, RotationPlan } from './rotation-transaction';

/** Rotation requests: ask, decide, use the grant once, close, list the open ones. */
export interface RotationRequestRepository {
  /** Ask for a rotation (see `askRotation`); it lapses after `REQUEST_DAYS` unless decided. */
  requestRotation(
    tokenHash: string,
    request: { requestId: string; reason: string },
    context: AuditContext,
  ): Promise<ChangeResult>;
  /** Decide a pending request (see `decideRequest`); the same decision again is a no-op. */
  decideRotation(
    tokenHash: string,
    decision: Decision,
    context: AuditContext,
  ): Promise<ChangeResult>;
  /**
   * Use an approved request's grant: the rotation transaction, plus the request marked executed,
   * on condition that the grant is unused and unexpired, so it works once. A repeat whose first
   * attempt committed (a lost response) is recognised by its successor id: a success.
   */
  executeRotationGrant(
    predecessorHash: string,
    requestId: string,
    planRotation: RotationPlan,
    context: AuditContext,
  ): Promise<Rotated>;
  /** Close an open request as failed or expired (see `closeRequest`); else a no-op. */
  closeRotationRequest(
    tokenHash: string,
    closing: Closing,
    context: AuditContext,
  ): Promise<ChangeResult>;
  /** Tokens with an open request in `state`, soonest deadline first; `lapsedBy`: only lapsed. */
  listRotationRequests(
    state: 'pending' | 'approved',
    request?: PageRequest & { lapsedBy?: Date },
  ): Promise<Page<TokenRecord>>;
}

/** The bootstrap exchange, once per bootstrap token. */
export interface BootstrapRepository {
  /**
   * Exchange a bootstrap token for `operational` in one transaction, on condition that it is
   * still an active, unused bootstrap token whose expiry has not passed, so two concurrent
   * exchanges cannot both succeed. Refusals (see `bootstrapRefusal`) write nothing.
   */
  exchangeBootstrap(
    bootstrap: TokenRecord,
    operational: NewToken,
    context: AuditContext,
  ): Promise<TokenRecord>;
}
