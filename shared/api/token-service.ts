/**
 * The management operations, with their rules (pure of HTTP):
 * - tenant isolation: a caller without the admin scope sees and changes only tokens of its own
 *   owner; another tenant's token is "not found", so existence does not leak;
 * - no escalation: a non-admin can only issue (create or rotate into) tokens whose scopes it
 *   holds itself, so a token can never mint a more powerful one;
 * - every change is audited by the store in the same transaction; refused changes are audited
 *   with outcome `failure`.
 */
import { callerRefusal, type Access } from '../authz/caller-access';
import { ADMIN_SCOPE } from '../authz/routes';
import { bearerToken } from '../authz/bearer';
import type { AuditContext } from '../store/audit';
import { ApiError, failureOf } from './errors';
import { TokenStoreError } from '../store/errors';
import type { Stores } from '../store';
import {
  DEFAULT_TOKEN_PREFIX,
  displayHint,
  generateToken,
  generateRequestId,
  generateTokenId,
  hashToken,
  parseToken,
} from '../token/format';
import { effectiveEnd, type NewToken, type TokenRecord } from '../token/record';
import { approvedTerms, grantedTerms, lifetimeDays } from '../token/rotation-grant';
import { invalidScopes } from '../token/scope';
import { evaluateRecord } from '../token/verify';
import type { z } from 'zod/mini';
import type {
  auditQuery,
  createBootstrapBody,
  createTokenBody,
  exchangeBody,
  emergencyRevokeBody,
  listRotationRequestsQuery,
  listTokensQuery,
  rotateTokenBody,
  rotationRequestBody,
  TokenView,
} from './schemas';
import { DAY_MS } from '../time';

export const STORE_WARNING =
  'Store this token now (e.g. in a secrets manager): it is shown once and cannot be retrieved again.';

/** Who is calling, from the authorizer's context. */
export interface Caller {
  readonly tokenId: string;
  readonly owner: string;
  readonly scopes: readonly string[];
  readonly requestId: string;
  /**
   * An operator with direct table access (the CLI), not a token: there is no calling token to
   * re-check. API callers are always tokens.
   */
  readonly operator?: boolean;
  /** The calling token's record as `authenticate` re-read it (absent for an operator). */
  readonly record?: TokenRecord;
}

export interface CacheFlusher {
  /** Drop every cached authorizer policy of the stage. */
  flush(): Promise<void>;
}

export interface TokenServiceDeps {
  readonly stores: Pick<Stores, 'tokens' | 'rotations' | 'requests' | 'bootstrap' | 'audit'>;
  readonly now: () => Date;
  readonly prefix?: string;
  readonly cache?: CacheFlusher;
  /** Tokens per page when emergency-revoking an owner. Default 100. */
  readonly pageSize?: number;
}

export function isAdmin(caller: Pick<Caller, 'scopes'>): boolean {
  return caller.scopes.includes(ADMIN_SCOPE);
}

export function view(record: TokenRecord): TokenView {
  return {
    tokenId: record.tokenId,
    name: record.name,
    owner: record.owner,
    scopes: record.scopes,
    hint: record.hint,
    status: record.status,
    createdAt: record.createdAt,
    expiresAt: record.expiresAt,
    metadata: record.metadata,
    rotatedFrom: record.rotatedFrom,
    rotatedTo: record.rotatedTo,
    graceUntil: record.graceUntil,
    revokedAt: record.revokedAt,
    revokeReason: record.revokeReason,
    rotationRequest: record.rotationRequest,
    lastUsedAt: record.lastUsedAt,
    useCount: record.useCount,
    kind: record.kind,
    tokenLifetimeDays: record.tokenLifetimeDays,
    tokenExpiresBy: record.tokenExpiresBy,
    exchangedFor: record.exchangedFor,
    exchangedAt: record.exchangedAt,
    rotationPolicy: record.rotationPolicy,
  };
}

export class TokenService {
  constructor(private readonly deps: TokenServiceDeps) {}

  /**
   * Re-read the calling token (one consistent GetItem by the hash of the presented token) and
   * refuse, audited, unless it may still act: see `callerRefusal`. Every management route goes
   * through here before its operation runs; the returned caller carries the fresh record.
   */
  async authenticate(
    caller: Caller,
    authorization: string | undefined,
    access: Access,
  ): Promise<Caller> {
    if (caller.operator === true) return caller;
    const record = await this.callerRecord(caller, authorization);
    const verdict = evaluateRecord(record, this.deps.now());
    const refusal = callerRefusal(verdict, access);
    if (refusal !== undefined || !verdict.allowed) {
      const message = refusal?.message ?? 'The calling token is not valid';
      if (record !== undefined) {
        await this.recordRefusal(caller, 'caller.refused', record, message, { access });
      }
      throw new ApiError(refusal?.status ?? 401, message);
    }
    const fresh = verdict.record;
    return { ...caller, owner: fresh.owner, scopes: fresh.scopes, record: fresh };
  }

  /**
   * The calling token's record: by the hash of the presented token when the request carries it
   * (API Gateway passes the header on), else by the authorizer's token id. A header naming a
   * token other than the authorizer's is not the caller: nothing.
   */
  private async callerRecord(
    caller: Caller,
    authorization: string | undefined,
  ): Promise<TokenRecord | undefined> {
    const presented = bearerToken(authorization);
    if (presented === undefined) return this.deps.stores.tokens.getById(caller.tokenId);
    const parsed = parseToken(presented, this.deps.prefix ?? DEFAULT_TOKEN_PREFIX);
    if (!parsed.ok) return undefined;
    const record = await this.deps.stores.tokens.getByHash(hashToken(parsed.token), {
      consistent: true,
    });
    return record?.tokenId === caller.tokenId ? record : undefined;
  }

  async me(caller: Caller) {
    const record = caller.record ?? (await this.deps.stores.tokens.getById(caller.tokenId));
    if (record === undefined) throw new ApiError(404, 'The calling token no longer exists');
    return {
      tokenId: record.tokenId,
      name: record.name,
      owner: record.owner,
      scopes: record.scopes,
      admin: isAdmin(caller),
      expiresAt: record.expiresAt,
      graceUntil: record.graceUntil,
    };
  }

  async create(caller: Caller, body: z.infer<typeof createTokenBody>) {
    const owner = body.owner ?? caller.owner;
    const now = this.deps.now();
    const refusal =
      this.mayIssue(caller, owner, body.scopes) ??
      (body.rotationPolicy !== undefined && !isAdmin(caller)
        ? 'Only an admin can set a rotation policy'
        : undefined);
    const limits = this.issuerLimits(caller);
    await this.refuseUnless(caller, 'token.create', owner, refusal ?? limits.refusal);
    const expiresAt = earliest(
      new Date(now.getTime() + body.expiresInDays * DAY_MS),
      limits.expiresBy,
    );
    const token = generateToken(this.deps.prefix ?? DEFAULT_TOKEN_PREFIX);
    const record = await this.deps.stores.tokens.create(
      {
        tokenHash: hashToken(token),
        tokenId: generateTokenId(),
        name: body.name,
        owner,
        scopes: body.scopes,
        hint: displayHint(token),
        createdAt: now,
        expiresAt,
        ...(body.metadata === undefined ? {} : { metadata: body.metadata }),
        ...(body.rotationPolicy === undefined ? {} : { rotationPolicy: body.rotationPolicy }),
      },
      this.context(caller),
    );
    return { ...view(record), token, warning: STORE_WARNING };
  }

  /**
   * Admin: issue a bootstrap token for a new service. It authenticates nothing (the authorizer
   * denies it everywhere) and is good for one `POST /tokens/exchange` before it expires.
   */
  async createBootstrap(caller: Caller, body: z.infer<typeof createBootstrapBody>) {
    const refusal = isAdmin(caller) ? undefined : 'Only an admin can issue bootstrap tokens';
    const limits = this.issuerLimits(caller);
    await this.refuseUnless(caller, 'token.bootstrap', body.owner, refusal ?? limits.refusal);
    const now = this.deps.now();
    const expiresAt = earliest(
      new Date(now.getTime() + body.expiresInMinutes * 60_000),
      limits.expiresBy,
    );
    const token = generateToken(this.deps.prefix ?? DEFAULT_TOKEN_PREFIX);
    const record = await this.deps.stores.tokens.create(
      {
        tokenHash: hashToken(token),
        tokenId: generateTokenId(),
        name: body.name,
        owner: body.owner,
        scopes: body.scopes,
        hint: displayHint(token),
        createdAt: now,
        expiresAt,
        kind: 'bootstrap',
        tokenLifetimeDays: body.tokenExpiresInDays,
        // The token it becomes does not outlive the admin token that issued it either.
        ...(limits.expiresBy === undefined ? {} : { tokenExpiresBy: limits.expiresBy }),
        ...(body.rotationPolicy === undefined ? {} : { rotationPolicy: body.rotationPolicy }),
      },
      this.context(caller),
    );
    return {
      ...view(record),
      token,
      warning:
        'Hand this bootstrap token to the new service only. It is shown once, works once (POST /tokens/exchange) and expires at expiresAt.',
    };
  }

  /**
   * Exchange a bootstrap token (sent as `Authorization: Bearer …`; the route has no authorizer)
   * for an operational token of the bootstrap's owner, within its scopes and lifetime. Every
   * refusal of a known bootstrap token is audited: a second use is a sign the token leaked.
   */
  async exchange(
    authorization: string | undefined,
    body: z.infer<typeof exchangeBody>,
    requestId: string,
  ) {
    const presented = bearerToken(authorization);
    const parsed = parseToken(presented ?? '', this.deps.prefix ?? DEFAULT_TOKEN_PREFIX);
    if (!parsed.ok) {
      throw new ApiError(401, 'Send the bootstrap token as "Authorization: Bearer sk_…"');
    }
    const bootstrap = await this.deps.stores.tokens.getByHash(hashToken(parsed.token), {
      consistent: true,
    });
    if (bootstrap === undefined) throw new ApiError(401, 'Not a valid bootstrap token');
    const context = { actor: bootstrap.tokenId, requestId };
    const refuse = async (status: 401 | 403 | 409 | 410, message: string): Promise<never> => {
      await this.deps.stores.audit.append(
        {
          action: 'token.exchange',
          targetId: bootstrap.tokenId,
          owner: bootstrap.owner,
          outcome: 'failure',
          details: { refused: message },
        },
        context,
      );
      throw new ApiError(status, message);
    };
    if (bootstrap.kind !== 'bootstrap') return refuse(401, 'Not a valid bootstrap token');
    const scopes = body.scopes ?? bootstrap.scopes;
    const beyond = scopes.filter((scope) => !bootstrap.scopes.includes(scope));
    if (beyond.length > 0) {
      return refuse(403, `The bootstrap token does not allow these scopes: ${beyond.join(', ')}`);
    }
    const maxDays = bootstrap.tokenLifetimeDays ?? 90;
    if (body.expiresInDays !== undefined && body.expiresInDays > maxDays) {
      return refuse(
        403,
        `The bootstrap token allows a lifetime of at most ${String(maxDays)} days`,
      );
    }
    const now = this.deps.now();
    const token = generateToken(this.deps.prefix ?? DEFAULT_TOKEN_PREFIX);
    let record: TokenRecord;
    try {
      record = await this.deps.stores.bootstrap.exchangeBootstrap(
        bootstrap,
        {
          tokenHash: hashToken(token),
          tokenId: generateTokenId(),
          name: body.name ?? bootstrap.name,
          owner: bootstrap.owner,
          scopes,
          hint: displayHint(token),
          createdAt: now,
          expiresAt: earliest(
            new Date(now.getTime() + (body.expiresInDays ?? maxDays) * DAY_MS),
            bootstrap.tokenExpiresBy === undefined ? undefined : new Date(bootstrap.tokenExpiresBy),
          ),
          ...(body.metadata === undefined ? {} : { metadata: body.metadata }),
          ...(bootstrap.rotationPolicy === undefined
            ? {}
            : { rotationPolicy: bootstrap.rotationPolicy }),
        },
        context,
      );
    } catch (error) {
      if (
        error instanceof TokenStoreError &&
        (error.code === 'conflict' || error.code === 'gone')
      ) {
        const { status, message } = failureOf(error);
        return refuse(status === 410 ? 410 : 409, message);
      }
      throw error;
    }
    return { ...view(record), token, warning: STORE_WARNING, bootstrapId: bootstrap.tokenId };
  }

  async list(caller: Caller, query: z.infer<typeof listTokensQuery>) {
    const owner = query.owner ?? (isAdmin(caller) ? undefined : caller.owner);
    if (owner !== undefined && owner !== caller.owner && !isAdmin(caller)) {
      throw new ApiError(403, 'You can only list tokens of your own owner');
    }
    const page = { limit: query.limit, cursor: query.cursor };
    const until = query.expiringBefore === undefined ? undefined : new Date(query.expiringBefore);
    if (owner === undefined) {
      if (until === undefined) {
        throw new ApiError(400, 'owner is required, unless expiringBefore is given');
      }
      const result = await this.deps.stores.tokens.listEnding(
        { from: this.deps.now(), until },
        page,
      );
      const items =
        query.status === undefined
          ? result.items
          : result.items.filter((r) => r.status === query.status);
      return { items: items.map(view), cursor: result.cursor };
    }
    const result = await this.deps.stores.tokens.listByOwner(owner, {
      ...page,
      ...(query.status === undefined ? {} : { status: query.status }),
      ...(until === undefined ? {} : { endingBefore: until, endingAfter: this.deps.now() }),
    });
    return { items: result.items.map(view), cursor: result.cursor };
  }

  async get(caller: Caller, tokenId: string) {
    return view(await this.visible(caller, tokenId));
  }

  async usage(caller: Caller, tokenId: string) {
    const record = await this.visible(caller, tokenId);
    return {
      tokenId: record.tokenId,
      status: record.status,
      createdAt: record.createdAt,
      lastUsedAt: record.lastUsedAt ?? null,
      useCount: record.useCount ?? 0,
      note: 'lastUsedAt is at most 5 minutes stale; useCount is a lower bound',
    };
  }

  async rotate(caller: Caller, tokenId: string, body: z.infer<typeof rotateTokenBody>) {
    const current = await this.visible(caller, tokenId);
    refuseApiRotation(current);
    const refusal = this.mayIssue(caller, current.owner, current.scopes);
    const limits = this.issuerLimits(caller);
    await this.refuseUnless(
      caller,
      'token.rotate',
      current.owner,
      refusal ?? limits.refusal,
      current.tokenId,
    );
    const next = this.successorOf(
      current,
      { graceDays: body.graceDays, lifetimeMs: lifetimeMs(current, body.expiresInDays) },
      limits.expiresBy,
    );
    const { predecessor, successor } = await this.deps.stores.rotations.replace(
      current.tokenHash,
      next.input,
      next.graceUntil,
      this.context(caller),
    );
    return rotated(successor, predecessor, next.token);
  }

  /**
   * A successor of `current`: same name, owner, scopes, metadata and rotation policy; the
   * lifetime given (capped at `expiresBy`); and the predecessor's grace deadline.
   */
  private successorOf(
    current: TokenRecord,
    terms: { lifetimeMs: number; graceDays: number },
    expiresBy?: Date,
  ): { token: string; input: NewToken; graceUntil: Date } {
    const now = this.deps.now();
    const token = generateToken(this.deps.prefix ?? DEFAULT_TOKEN_PREFIX);
    return {
      token,
      graceUntil: new Date(now.getTime() + terms.graceDays * DAY_MS),
      input: {
        tokenHash: hashToken(token),
        tokenId: generateTokenId(),
        name: current.name,
        owner: current.owner,
        scopes: current.scopes,
        hint: displayHint(token),
        createdAt: now,
        expiresAt: earliest(new Date(now.getTime() + terms.lifetimeMs), expiresBy),
        ...(current.metadata === undefined ? {} : { metadata: current.metadata }),
        ...(current.rotationPolicy === undefined ? {} : { rotationPolicy: current.rotationPolicy }),
      },
    };
  }

  /**
   * A token's owner asks for its rotation, with a reason; an admin decides. Useful where the
   * owner may not rotate it directly: a non-admin's own rotation can never outlive the caller,
   * while an approved one issues a successor with the token's full lifetime and scopes.
   */
  async requestRotation(
    caller: Caller,
    tokenId: string,
    body: z.infer<typeof rotationRequestBody>,
  ) {
    const current = await this.visible(caller, tokenId);
    refuseApiRotation(current);
    // Whoever asks gets the new token once it is approved: the token itself, a token that
    // holds all its scopes (no escalation), or an admin.
    const beyond = current.scopes.filter((scope) => !caller.scopes.includes(scope));
    const refusal =
      caller.tokenId === current.tokenId || isAdmin(caller) || beyond.length === 0
        ? undefined
        : `Only the token itself, an admin, or a token holding its scopes can ask for its rotation (missing: ${beyond.join(', ')})`;
    await this.refuseUnless(caller, 'rotation.request', current.owner, refusal, current.tokenId);
    const { record } = await this.deps.stores.requests.requestRotation(
      current.tokenHash,
      { requestId: generateRequestId(), reason: body.reason },
      this.context(caller),
    );
    return requestView(record);
  }

  /** The open requests in one state (pending: to decide; approved: grants not used yet). */
  async listRotationRequests(caller: Caller, query: z.infer<typeof listRotationRequestsQuery>) {
    // The queue spans every owner; an owner sees its own request on GET /tokens/{id}.
    if (!isAdmin(caller))
      throw new ApiError(403, 'The rotation request queue needs the admin scope');
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
  async decideRotation(
    caller: Caller,
    tokenId: string,
    requestId: string,
    decision: {
      approve: boolean;
      note?: string | undefined;
      expiresInDays?: number | undefined;
      graceDays?: number | undefined;
    },
  ) {
    const current = await this.visible(caller, tokenId);
    const action = decision.approve ? 'rotation.approve' : 'rotation.reject';
    const refusal = !isAdmin(caller)
      ? `Only an admin can ${decision.approve ? 'approve' : 'reject'} a rotation request`
      : current.rotationRequest?.requestId === requestId &&
          current.rotationRequest.requestedBy === caller.tokenId
        ? 'A rotation request cannot be decided by the token that asked for it'
        : undefined;
    const limits = this.issuerLimits(caller);
    await this.refuseUnless(
      caller,
      action,
      current.owner,
      refusal ?? limits.refusal,
      current.tokenId,
      { requestId },
    );
    const { record } = await this.auditRefusals(caller, action, current, requestId, () =>
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
        this.context(caller),
      ),
    );
    return requestView(record);
  }

  /**
   * Use an approved request's grant (the owner or an admin): rotate the token at once, in one
   * transaction. A used or expired grant is refused and audited. A rotation that fails leaves
   * the old token working and marks the request failed, so it cannot be half-used later.
   */
  async executeRotation(caller: Caller, tokenId: string, requestId: string) {
    const current = await this.visible(caller, tokenId);
    // The new token goes to whoever asked for it (or an admin), not to any token of the owner.
    // The requester of one request id never changes, and the rotation is conditioned on that
    // id, so checking it on this read holds for the transaction too.
    const request = current.rotationRequest;
    const refusal =
      isAdmin(caller) ||
      (request?.requestId === requestId && request.requestedBy === caller.tokenId)
        ? undefined
        : 'Only the token that asked for this rotation, or an admin, can use its grant';
    await this.refuseUnless(caller, 'rotation.execute', current.owner, refusal, tokenId, {
      requestId,
    });
    refuseApiRotation(current);
    let token = '';
    let result;
    try {
      result = await this.deps.stores.requests.executeRotationGrant(
        current.tokenHash,
        requestId,
        (granted) => {
          const next = this.grantSuccessor(caller, granted);
          token = next.token;
          return { successor: next.input, graceUntil: next.graceUntil };
        },
        this.context(caller),
      );
    } catch (error) {
      await this.closeFailedGrant(caller, current, requestId, error);
      if (error instanceof TokenStoreError && REFUSALS.has(error.code)) {
        await this.recordRefusal(caller, 'rotation.execute', current, error.message, { requestId });
      }
      throw error;
    }
    return { ...rotated(result.successor, result.predecessor, token), requestId };
  }

  /**
   * The successor a grant rotates into, planned from the store's own read of the approved
   * request (not this service's earlier read, when it may still have been pending): the terms
   * the approver fixed, and never past the expiry of the token that receives it, unless that
   * is the token being replaced.
   */
  private grantSuccessor(caller: Caller, granted: TokenRecord) {
    const terms = grantedTerms(granted, granted.rotationRequest);
    const receiver = caller.tokenId === granted.tokenId ? undefined : caller.record?.expiresAt;
    const caps = [terms.successorExpiresBy, receiver].filter((at) => at !== undefined).sort();
    return this.successorOf(
      granted,
      { lifetimeMs: terms.successorLifetimeDays * DAY_MS, graceDays: terms.successorGraceDays },
      caps[0] === undefined ? undefined : new Date(caps[0]),
    );
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
        this.context(caller),
      )
      .catch(() => undefined);
  }

  /** Run a store change; a refusal it raises (conflict, gone, not found) is audited first. */
  private async auditRefusals<T>(
    caller: Caller,
    action: string,
    target: TokenRecord,
    requestId: string,
    change: () => Promise<T>,
  ): Promise<T> {
    try {
      return await change();
    } catch (error) {
      if (error instanceof TokenStoreError && REFUSALS.has(error.code)) {
        await this.recordRefusal(caller, action, target, error.message, { requestId });
      }
      throw error;
    }
  }

  private async recordRefusal(
    caller: Caller,
    action: string,
    target: TokenRecord,
    refused: string,
    details: Record<string, string>,
  ): Promise<void> {
    await this.deps.stores.audit.append(
      {
        action,
        targetId: target.tokenId,
        owner: target.owner,
        outcome: 'failure',
        details: { ...details, refused },
      },
      this.context(caller),
    );
  }

  async revoke(caller: Caller, tokenId: string, reason: string | undefined) {
    const current = await this.visible(caller, tokenId);
    const result = await this.deps.stores.tokens.revoke(current.tokenHash, {
      ...this.context(caller),
      reason: reason ?? 'revoked through the management API',
    });
    return { ...view(result.record), changed: result.changed };
  }

  /**
   * Revoke one token or every token of an owner, then flush the stage's authorizer cache so
   * cached Allow policies stop at once. Admin only (the route needs the admin scope too).
   */
  async emergencyRevoke(caller: Caller, body: z.infer<typeof emergencyRevokeBody>) {
    const target = body.tokenId ?? `owner:${body.owner ?? ''}`;
    await this.refuseUnless(
      caller,
      'token.emergency-revoke',
      body.owner,
      isAdmin(caller) ? undefined : 'token.emergency-revoke needs the admin scope',
      target,
    );
    const context = { ...this.context(caller), reason: `emergency: ${body.reason}` };
    const revoked: string[] = [];
    const failed: string[] = [];
    let unchanged = 0;
    // Every token is tried even when some fail, and the cache is flushed whatever happened:
    // a half-done emergency must not leave cached policies of the revoked ones alive.
    const revokeAll = async (records: readonly TokenRecord[]) => {
      const results = await Promise.allSettled(
        records.map((r) => this.deps.stores.tokens.revoke(r.tokenHash, context)),
      );
      results.forEach((result, i) => {
        const tokenId = records[i]?.tokenId ?? '';
        if (result.status === 'rejected') failed.push(tokenId);
        else if (result.value.changed) revoked.push(tokenId);
        else unchanged += 1;
      });
    };
    let listingFailed = false;
    if (body.tokenId !== undefined) {
      const record = await this.deps.stores.tokens.getById(body.tokenId);
      if (record === undefined) throw new ApiError(404, `No token ${body.tokenId}`);
      await revokeAll([record]);
    } else if (body.owner !== undefined) {
      let cursor: string | undefined;
      try {
        do {
          const page = await this.deps.stores.tokens.listByOwner(body.owner, {
            cursor,
            limit: this.deps.pageSize ?? 100,
          });
          await revokeAll(
            page.items.filter((r) => r.status === 'active' || r.status === 'pending'),
          );
          cursor = page.cursor;
        } while (cursor !== undefined);
      } catch {
        listingFailed = true;
      }
    }
    let cacheFlushed = false;
    try {
      if (this.deps.cache !== undefined) {
        await this.deps.cache.flush();
        cacheFlushed = true;
      }
    } catch {
      cacheFlushed = false;
    }
    const warnings = [
      ...(failed.length > 0 || listingFailed
        ? ['Some tokens could not be revoked (see "failed", or the listing stopped): run it again.']
        : []),
      ...(cacheFlushed
        ? []
        : [
            'The authorizer cache was not flushed: cached policies may allow revoked tokens until they expire (authorizer cache TTL). Flush it by hand.',
          ]),
    ];
    return {
      revoked,
      alreadyRevoked: unchanged,
      failed,
      complete: failed.length === 0 && !listingFailed,
      cacheFlushed,
      ...(warnings.length === 0 ? {} : { warning: warnings.join(' ') }),
    };
  }

  async audit(caller: Caller, query: z.infer<typeof auditQuery>) {
    if (!isAdmin(caller)) throw new ApiError(403, 'The audit trail needs the admin scope');
    const page = { limit: query.limit, cursor: query.cursor };
    const result =
      query.targetId !== undefined
        ? await this.deps.stores.audit.listByTarget(query.targetId, page)
        : await this.deps.stores.audit.listByDay(query.day ?? '', page);
    return { items: result.items, cursor: result.cursor };
  }

  /** A token the caller may see: its own tenant's, or any for an admin. Else "not found". */
  private async visible(caller: Caller, tokenId: string): Promise<TokenRecord> {
    const record = await this.deps.stores.tokens.getById(tokenId);
    if (record === undefined || (record.owner !== caller.owner && !isAdmin(caller))) {
      throw new ApiError(404, `No token ${tokenId}`);
    }
    return record;
  }

  /**
   * No token issued through the API outlives the token that issues it, admins included (as
   * Vault's child tokens): a leaked token must not mint a foothold that outlives its own
   * expiry. (Revoking the issuer does not revoke its children: SECURITY.md, "Not covered".)
   * `authenticate` has already refused callers that are no longer valid and current. An
   * operator (direct table access, IAM) is not capped.
   */
  private issuerLimits(caller: Caller): { refusal?: string; expiresBy?: Date } {
    if (caller.operator === true) return {};
    if (caller.record === undefined) {
      return { refusal: 'The calling token was not re-checked: it cannot issue tokens' };
    }
    return { expiresBy: new Date(caller.record.expiresAt) };
  }

  private mayIssue(caller: Caller, owner: string, scopes: readonly string[]): string | undefined {
    if (isAdmin(caller)) return undefined;
    if (owner !== caller.owner) return 'Only an admin can issue tokens for another owner';
    const beyond = scopes.filter((scope) => !caller.scopes.includes(scope));
    return beyond.length === 0
      ? undefined
      : `You cannot grant scopes you do not hold: ${beyond.join(', ')}`;
  }

  /** Throw 403 with `refusal` (audited as a failure) unless there is none. */
  private async refuseUnless(
    caller: Caller,
    action: string,
    owner: string | undefined,
    refusal: string | undefined,
    targetId = `owner:${owner ?? caller.owner}`,
    details: Record<string, string> = {},
  ): Promise<void> {
    if (refusal === undefined) return;
    await this.deps.stores.audit.append(
      {
        action,
        targetId,
        outcome: 'failure',
        ...(owner === undefined ? {} : { owner }),
        details: { ...details, refused: refusal },
      },
      this.context(caller),
    );
    throw new ApiError(403, refusal);
  }

  private context(caller: Caller): AuditContext {
    return { actor: caller.tokenId, requestId: caller.requestId };
  }
}

/** Store refusals that say "not now / not this" (as opposed to failures): audited. */
const REFUSALS = new Set(['conflict', 'gone', 'not-found']);

/**
 * Tokens that cannot be rotated through the API: a bootstrap token is exchanged instead, and a
 * token held in a Secrets Manager secret is rotated by rotating the secret (else the secret
 * would keep the old token, which stops working after its grace period).
 */
function refuseApiRotation(record: TokenRecord): void {
  // Only a legacy or tampered item can hold one: the store refuses to write it again.
  if (invalidScopes(record.scopes).length > 0) {
    throw new ApiError(
      409,
      `${record.tokenId} has a scope outside the scope grammar: revoke it and issue a new one`,
    );
  }
  if (record.kind === 'bootstrap') {
    throw new ApiError(409, `${record.tokenId} is a bootstrap token: it is exchanged, not rotated`);
  }
  // Either mark: `secretId` on tokens the rotation Lambda issued, `rotationId` on older ones.
  if (record.secretId !== undefined || record.rotationId !== undefined) {
    throw new ApiError(
      409,
      `${record.tokenId} is held in a Secrets Manager secret: rotate the secret instead (aws secretsmanager rotate-secret)`,
    );
  }
}

export function requestView(record: TokenRecord) {
  if (record.rotationRequest === undefined) {
    throw new ApiError(404, `${record.tokenId} has no rotation request`);
  }
  return {
    ...record.rotationRequest,
    tokenId: record.tokenId,
    tokenName: record.name,
    owner: record.owner,
  };
}

/** The answer to a rotation: the successor with its plaintext (shown once), and the old one. */
function rotated(successor: TokenRecord, predecessor: TokenRecord, token: string) {
  return {
    ...view(successor),
    token,
    warning: STORE_WARNING,
    predecessor: { tokenId: predecessor.tokenId, worksUntil: effectiveEnd(predecessor) },
  };
}

function earliest(date: Date, limit: Date | undefined): Date {
  return limit !== undefined && limit < date ? limit : date;
}

/** The successor's lifetime: the one asked for, else the current token's own. */
function lifetimeMs(current: TokenRecord, expiresInDays: number | undefined): number {
  return (expiresInDays ?? lifetimeDays(current)) * DAY_MS;
}
