/**
 * The management operations, with their rules (pure of HTTP):
 * - tenant isolation: a caller without the admin scope sees and changes only tokens of its own
 *   owner; another tenant's token is "not found", so existence does not leak;
 * - no escalation: a non-admin can only issue (create or rotate into) tokens whose scopes it
 *   holds itself, so a token can never mint a more powerful one;
 * - every change is audited by the store in the same transaction; refused changes are audited
 *   with outcome `failure`.
 */
import { ADMIN_SCOPE } from '../authz/routes';
import type { AuditContext } from '../store/audit';
import type { TokenStore } from '../store/token-store';
import {
  DEFAULT_TOKEN_PREFIX,
  displayHint,
  generateToken,
  generateTokenId,
  hashToken,
} from '../token/format';
import { effectiveEnd, type TokenRecord } from '../token/record';
import type { z } from 'zod/mini';
import type {
  auditQuery,
  createTokenBody,
  emergencyRevokeBody,
  listTokensQuery,
  rotateTokenBody,
  TokenView,
} from './schemas';

const DAY_MS = 86_400_000;

export const STORE_WARNING =
  'Store this token now (e.g. in a secrets manager): it is shown once and cannot be retrieved again.';

/** Who is calling, from the authorizer's context. */
export interface Caller {
  readonly tokenId: string;
  readonly owner: string;
  readonly scopes: readonly string[];
  readonly requestId: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: 400 | 403 | 404 | 409 | 503,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface CacheFlusher {
  /** Drop every cached authorizer policy of the stage. */
  flush(): Promise<void>;
}

export interface TokenServiceDeps {
  readonly store: Pick<
    TokenStore,
    | 'create'
    | 'replace'
    | 'getById'
    | 'listByOwner'
    | 'listEnding'
    | 'revoke'
    | 'recordAudit'
    | 'listAudit'
    | 'listAuditByDay'
  >;
  readonly now: () => Date;
  readonly prefix?: string;
  readonly cache?: CacheFlusher;
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
    lastUsedAt: record.lastUsedAt,
    useCount: record.useCount,
  };
}

export class TokenService {
  constructor(private readonly deps: TokenServiceDeps) {}

  async me(caller: Caller) {
    const record = await this.deps.store.getById(caller.tokenId);
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
    await this.refuseUnless(
      caller,
      'token.create',
      owner,
      this.mayIssue(caller, owner, body.scopes),
    );
    const now = this.deps.now();
    const token = generateToken(this.deps.prefix ?? DEFAULT_TOKEN_PREFIX);
    const record = await this.deps.store.create(
      {
        tokenHash: hashToken(token),
        tokenId: generateTokenId(),
        name: body.name,
        owner,
        scopes: body.scopes,
        hint: displayHint(token),
        createdAt: now,
        expiresAt: new Date(now.getTime() + body.expiresInDays * DAY_MS),
        ...(body.metadata === undefined ? {} : { metadata: body.metadata }),
      },
      this.context(caller),
    );
    return { ...view(record), token, warning: STORE_WARNING };
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
      const result = await this.deps.store.listEnding({ from: this.deps.now(), until }, page);
      const items =
        query.status === undefined
          ? result.items
          : result.items.filter((r) => r.status === query.status);
      return { items: items.map(view), cursor: result.cursor };
    }
    const result = await this.deps.store.listByOwner(owner, {
      ...page,
      ...(query.status === undefined ? {} : { status: query.status }),
      ...(until === undefined ? {} : { endingBefore: until }),
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
    if (current.rotationId !== undefined) {
      // Its secret would keep the old token, which then stops working after the grace period.
      throw new ApiError(
        409,
        `${current.tokenId} is held in a Secrets Manager secret: rotate the secret instead (aws secretsmanager rotate-secret)`,
      );
    }
    await this.refuseUnless(
      caller,
      'token.rotate',
      current.owner,
      this.mayIssue(caller, current.owner, current.scopes),
      current.tokenId,
    );
    const now = this.deps.now();
    const lifetimeMs =
      body.expiresInDays === undefined
        ? Date.parse(current.expiresAt) - Date.parse(current.createdAt)
        : body.expiresInDays * DAY_MS;
    const token = generateToken(this.deps.prefix ?? DEFAULT_TOKEN_PREFIX);
    const graceUntil = new Date(now.getTime() + body.graceDays * DAY_MS);
    const { predecessor, successor } = await this.deps.store.replace(
      current.tokenHash,
      {
        tokenHash: hashToken(token),
        tokenId: generateTokenId(),
        name: current.name,
        owner: current.owner,
        scopes: current.scopes,
        hint: displayHint(token),
        createdAt: now,
        expiresAt: new Date(now.getTime() + lifetimeMs),
        ...(current.metadata === undefined ? {} : { metadata: current.metadata }),
      },
      graceUntil,
      this.context(caller),
    );
    return {
      ...view(successor),
      token,
      warning: STORE_WARNING,
      predecessor: { tokenId: predecessor.tokenId, worksUntil: effectiveEnd(predecessor) },
    };
  }

  async revoke(caller: Caller, tokenId: string, reason: string | undefined) {
    const current = await this.visible(caller, tokenId);
    const result = await this.deps.store.revoke(current.tokenHash, {
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
    await this.refuseUnless(caller, 'token.emergency-revoke', body.owner, isAdmin(caller), target);
    const context = { ...this.context(caller), reason: `emergency: ${body.reason}` };
    const revoked: string[] = [];
    let unchanged = 0;
    const revokeOne = async (record: TokenRecord) => {
      const result = await this.deps.store.revoke(record.tokenHash, context);
      if (result.changed) revoked.push(record.tokenId);
      else unchanged += 1;
    };
    if (body.tokenId !== undefined) {
      const record = await this.deps.store.getById(body.tokenId);
      if (record === undefined) throw new ApiError(404, `No token ${body.tokenId}`);
      await revokeOne(record);
    } else if (body.owner !== undefined) {
      let cursor: string | undefined;
      do {
        const page = await this.deps.store.listByOwner(body.owner, { cursor, limit: 100 });
        await Promise.all(
          page.items.filter((r) => r.status === 'active' || r.status === 'pending').map(revokeOne),
        );
        cursor = page.cursor;
      } while (cursor !== undefined);
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
    return {
      revoked,
      alreadyRevoked: unchanged,
      cacheFlushed,
      ...(cacheFlushed
        ? {}
        : {
            warning:
              'The revocations are stored, but the authorizer cache was not flushed: cached policies may allow these tokens until they expire (authorizer cache TTL).',
          }),
    };
  }

  async audit(caller: Caller, query: z.infer<typeof auditQuery>) {
    if (!isAdmin(caller)) throw new ApiError(403, 'The audit trail needs the admin scope');
    const page = { limit: query.limit, cursor: query.cursor };
    const result =
      query.targetId !== undefined
        ? await this.deps.store.listAudit(query.targetId, page)
        : await this.deps.store.listAuditByDay(query.day ?? '', page);
    return { items: result.items, cursor: result.cursor };
  }

  /** A token the caller may see: its own tenant's, or any for an admin. Else "not found". */
  private async visible(caller: Caller, tokenId: string): Promise<TokenRecord> {
    const record = await this.deps.store.getById(tokenId);
    if (record === undefined || (record.owner !== caller.owner && !isAdmin(caller))) {
      throw new ApiError(404, `No token ${tokenId}`);
    }
    return record;
  }

  private mayIssue(caller: Caller, owner: string, scopes: readonly string[]): string | undefined {
    if (isAdmin(caller)) return undefined;
    if (owner !== caller.owner) return 'Only an admin can issue tokens for another owner';
    const beyond = scopes.filter((scope) => !caller.scopes.includes(scope));
    return beyond.length === 0
      ? undefined
      : `You cannot grant scopes you do not hold: ${beyond.join(', ')}`;
  }

  /** Throw 403 with `refusal` (audited as a failure) unless it is undefined or `true`. */
  private async refuseUnless(
    caller: Caller,
    action: string,
    owner: string | undefined,
    verdict: string | undefined | boolean,
    targetId = `owner:${owner ?? caller.owner}`,
  ): Promise<void> {
    if (verdict === undefined || verdict === true) return;
    const message = verdict === false ? `${action} needs the admin scope` : verdict;
    await this.deps.store.recordAudit(
      {
        action,
        targetId,
        outcome: 'failure',
        ...(owner === undefined ? {} : { owner }),
        details: { refused: message },
      },
      this.context(caller),
    );
    throw new ApiError(403, message);
  }

  private context(caller: Caller): AuditContext {
    return { actor: caller.tokenId, requestId: caller.requestId };
  }
}
