/** Tokens of a tenant: issue, list, show, rotate and revoke them. */
import { DAY_MS } from '../../time';
import { earliest, mintSuccessor, mintToken } from '../../token/mint';
import type { TokenRecord, TokenStatus } from '../../token/record';
import { lifetimeDays } from '../../token/rotation-grant';
import {
  auditContext,
  isAdmin,
  issueRefusal,
  issuerLimits,
  refuseApiRotation,
  type Caller,
} from '../access';
import { ApiError } from '../errors';
import { refuseUnknownScopes } from '../scope-check';
import { rotatedView, STORE_WARNING, view } from '../views';
import type { PageQuery, TokenExtras, UseCaseDeps } from './deps';

export interface NewTokenRequest extends TokenExtras {
  readonly name: string;
  /** Default: the caller's own owner; only an admin may name another. */
  readonly owner?: string | undefined;
  readonly scopes: readonly string[];
  readonly expiresInDays: number;
}

export interface TokenListing extends PageQuery {
  readonly owner?: string | undefined;
  readonly status?: TokenStatus | undefined;
  /** ISO 8601: only live tokens ending before it. */
  readonly expiringBefore?: string | undefined;
}

export interface RotationTerms {
  /** How long the replaced token keeps working (never past its own expiry). */
  readonly graceDays: number;
  /** Default: the replaced token's own lifetime. */
  readonly expiresInDays?: number | undefined;
}

export class TokenUseCases {
  constructor(private readonly deps: UseCaseDeps) {}

  async create(caller: Caller, body: NewTokenRequest) {
    const owner = body.owner ?? caller.owner;
    const now = this.deps.now();
    const refusal =
      issueRefusal(caller, owner, body.scopes) ??
      (body.rotationPolicy !== undefined && !isAdmin(caller)
        ? 'Only an admin can set a rotation policy'
        : undefined);
    const limits = issuerLimits(caller);
    await this.deps.guard.refuseUnless(caller, 'token.create', owner, refusal ?? limits.refusal);
    await refuseUnknownScopes(this.deps.stores.apis, body.scopes);
    const { token, input } = mintToken(
      {
        name: body.name,
        owner,
        scopes: body.scopes,
        createdAt: now,
        expiresAt: earliest(
          new Date(now.getTime() + body.expiresInDays * DAY_MS),
          limits.expiresBy,
        ),
        ...(body.metadata === undefined ? {} : { metadata: body.metadata }),
        ...(body.rotationPolicy === undefined ? {} : { rotationPolicy: body.rotationPolicy }),
      },
      this.deps.prefix,
    );
    const record = await this.deps.stores.tokens.create(input, auditContext(caller));
    return { ...view(record), token, warning: STORE_WARNING };
  }

  async list(caller: Caller, query: TokenListing) {
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
    return view(await this.deps.guard.visible(caller, tokenId));
  }

  async usage(caller: Caller, tokenId: string) {
    const record = await this.deps.guard.visible(caller, tokenId);
    return {
      tokenId: record.tokenId,
      status: record.status,
      createdAt: record.createdAt,
      lastUsedAt: record.lastUsedAt ?? null,
      useCount: record.useCount ?? 0,
      note: 'lastUsedAt is at most 5 minutes stale; useCount is a lower bound',
    };
  }

  async rotate(caller: Caller, tokenId: string, body: RotationTerms) {
    const current = await this.deps.guard.visible(caller, tokenId);
    refuseApiRotation(current);
    const refusal = issueRefusal(caller, current.owner, current.scopes);
    const limits = issuerLimits(caller);
    await this.deps.guard.refuseUnless(
      caller,
      'token.rotate',
      current.owner,
      refusal ?? limits.refusal,
      current.tokenId,
    );
    const next = mintSuccessor(
      current,
      {
        graceDays: body.graceDays,
        lifetimeMs: lifetimeMs(current, body.expiresInDays),
        expiresBy: limits.expiresBy,
      },
      this.deps.now(),
      this.deps.prefix,
    );
    const { predecessor, successor } = await this.deps.stores.rotations.replace(
      current.tokenHash,
      next.input,
      next.graceUntil,
      auditContext(caller),
    );
    return rotatedView(successor, predecessor, next.token);
  }

  async revoke(caller: Caller, tokenId: string, reason: string | undefined) {
    const current = await this.deps.guard.visible(caller, tokenId);
    const result = await this.deps.stores.tokens.revoke(current.tokenHash, {
      ...auditContext(caller),
      reason: reason ?? 'revoked through the management API',
    });
    return { ...view(result.record), changed: result.changed };
  }
}

/** The successor's lifetime: the one asked for, else the current token's own. */
function lifetimeMs(current: TokenRecord, expiresInDays: number | undefined): number {
  return (expiresInDays ?? lifetimeDays(current)) * DAY_MS;
}
