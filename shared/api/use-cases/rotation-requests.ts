/**
 * Rotation requests: a token's owner asks for its rotation, with a reason; an admin decides;
 * the approved grant is used once. Useful where the owner may not rotate it directly: a
 * non-admin's own rotation can never outlive the caller, while an approved one issues a
 * successor with the token's full lifetime and scopes.
 */
import { TokenStoreError } from '../../store/errors';
import { generateRequestId } from '../../token/format';
import type { OPEN_REQUEST_STATES, TokenRecord } from '../../token/record';
import { approvedTerms, grantedSuccessor } from '../../token/rotation-grant';
import {
  askRefusal,
  auditContext,
  decideRefusal,
  executeRefusal,
  isAdmin,
  issuerLimits,
  refuseApiRotation,
  type Caller,
} from '../access';
import { ApiError } from '../errors';
import { isStoreRefusal } from '../guard';
import { requestView, rotatedView } from '../views';
import type { PageQuery, UseCaseDeps } from './deps';

type OpenRequestState = (typeof OPEN_REQUEST_STATES)[number];

export interface Decision {
  readonly approve: boolean;
  readonly note?: string | undefined;
  /** Approval only: the successor's lifetime; default: the token's own. */
  readonly expiresInDays?: number | undefined;
  /** Approval only: the replaced token's grace; default: the deployment's. */
  readonly graceDays?: number | undefined;
}

export class RotationRequestUseCases {
  constructor(private readonly deps: UseCaseDeps) {}

  async request(caller: Caller, tokenId: string, body: { readonly reason: string }) {
    const current = await this.deps.guard.visible(caller, tokenId);
    refuseApiRotation(current);
    await this.deps.guard.refuseUnless(
      caller,
      'rotation.request',
      current.owner,
      askRefusal(caller, current),
      current.tokenId,
    );
    const { record } = await this.deps.stores.requests.requestRotation(
      current.tokenHash,
      { requestId: generateRequestId(), reason: body.reason },
      auditContext(caller),
    );
    return requestView(record);
  }

  /** The open requests in one state (pending: to decide; approved: grants not used yet). */
  async list(caller: Caller, query: PageQuery & { readonly state: OpenRequestState }) {
    // The queue spans every owner; an owner sees its own request on GET /tokens/{id}.
    if (!isAdmin(caller)) {
      throw new ApiError(403, 'The rotation request queue needs the admin scope');
    }
    const page = await this.deps.stores.requests.listRotationRequests(query.state, {
      limit: query.limit,
      cursor: query.cursor,
    });
    return { items: page.items.map(requestView), cursor: page.cursor };
  }

  /**
   * Admin: approve (a one-time grant, valid 24 hours) or reject a pending request. Refused and
   * audited for a non-admin, for the requester itself (four eyes), and for a calling token that
   * is no longer valid and current.
   */
  async decide(caller: Caller, tokenId: string, requestId: string, decision: Decision) {
    const current = await this.deps.guard.visible(caller, tokenId);
    const action = decision.approve ? 'rotation.approve' : 'rotation.reject';
    const limits = issuerLimits(caller);
    await this.deps.guard.refuseUnless(
      caller,
      action,
      current.owner,
      decideRefusal(caller, current, requestId, decision.approve) ?? limits.refusal,
      current.tokenId,
      { requestId },
    );
    const { record } = await this.deps.guard.auditRefusals(
      caller,
      action,
      current,
      { requestId },
      () =>
        this.deps.stores.requests.decideRotation(
          current.tokenHash,
          {
            requestId,
            approve: decision.approve,
            ...(decision.note === undefined ? {} : { note: decision.note }),
            ...(decision.approve
              ? { terms: approvedTerms(current, decision, limits.expiresBy?.toISOString()) }
              : {}),
          },
          auditContext(caller),
        ),
    );
    return requestView(record);
  }

  /**
   * Use an approved request's grant (the owner or an admin): rotate the token at once, in one
   * transaction. A used or expired grant is refused and audited. A rotation that fails leaves
   * the old token working and marks the request failed, so it cannot be half-used later.
   */
  async execute(caller: Caller, tokenId: string, requestId: string) {
    const current = await this.deps.guard.visible(caller, tokenId);
    await this.deps.guard.refuseUnless(
      caller,
      'rotation.execute',
      current.owner,
      executeRefusal(caller, current, requestId),
      tokenId,
      { requestId },
    );
    refuseApiRotation(current);
    // The receiver's own expiry caps the successor, unless it is the token being replaced.
    const receiver = caller.tokenId === current.tokenId ? undefined : caller.record?.expiresAt;
    let token = '';
    let result;
    try {
      result = await this.deps.stores.requests.executeRotationGrant(
        current.tokenHash,
        requestId,
        (granted) => {
          const next = grantedSuccessor(granted, receiver, this.deps.now(), this.deps.prefix);
          token = next.token;
          return { successor: next.input, graceUntil: next.graceUntil };
        },
        auditContext(caller),
      );
    } catch (error) {
      await this.closeFailedGrant(caller, current, requestId, error);
      if (isStoreRefusal(error)) {
        await this.deps.guard.recordRefusal(caller, 'rotation.execute', current, error.message, {
          requestId,
        });
      }
      throw error;
    }
    return { ...rotatedView(result.successor, result.predecessor, token), requestId };
  }

  /**
   * After a failed use of a grant: if the grant was open, the failure was the rotation's (the
   * token changed, or DynamoDB failed), so the request is marked failed; if it had lapsed, it
   * is marked expired. Best effort: the cleanup run closes lapsed grants anyway.
   */
  private async closeFailedGrant(
    caller: Caller,
    current: TokenRecord,
    requestId: string,
    error: unknown,
  ): Promise<void> {
    const request = current.rotationRequest;
    if (request?.requestId !== requestId || request.state !== 'approved') return;
    // DynamoDB throttled or failed: nothing was written and the grant stays usable; retry.
    if (error instanceof TokenStoreError && error.retryable) return;
    const lapsed = (request.grantExpiresAt ?? '') <= this.deps.now().toISOString();
    const failure =
      error instanceof TokenStoreError ? error.message : 'The rotation failed unexpectedly';
    await this.deps.stores.requests
      .closeRotationRequest(
        current.tokenHash,
        lapsed ? { requestId, state: 'expired' } : { requestId, state: 'failed', failure },
        auditContext(caller),
      )
      .catch(() => undefined);
  }
}
