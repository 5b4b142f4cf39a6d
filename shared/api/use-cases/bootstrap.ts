/**
 * Bootstrap tokens: an admin issues one for a new service, which exchanges it once for its own
 * operational token (within the bootstrap token's scopes and lifetime).
 */
import { bearerToken } from '../../authz/bearer';
import { DEFAULT_TOKEN_LIFETIME_DAYS } from '../../defaults';
import { TokenStoreError } from '../../store/errors';
import { DAY_MS, MINUTE_MS } from '../../time';
import { DEFAULT_TOKEN_PREFIX, hashToken, parseToken } from '../../token/format';
import { kindRules } from '../../token/kinds';
import { earliest, mintToken } from '../../token/mint';
import type { TokenRecord } from '../../token/record';
import { auditContext, isAdmin, issuerLimits, type Caller } from '../access';
import { ApiError, failureOf } from '../errors';
import { refuseUnknownScopes } from '../scope-check';
import { STORE_WARNING, view } from '../views';
import type { TokenExtras, UseCaseDeps } from './deps';

export interface BootstrapRequest {
  readonly name: string;
  /** The owner the exchanged token will belong to. */
  readonly owner: string;
  /** The most the exchanged token may have. */
  readonly scopes: readonly string[];
  readonly expiresInMinutes: number;
  /** Lifetime of the token it is exchanged for (the most the exchange may ask for). */
  readonly tokenExpiresInDays: number;
  readonly rotationPolicy?: TokenExtras['rotationPolicy'];
}

export interface ExchangeRequest {
  readonly name?: string | undefined;
  readonly scopes?: readonly string[] | undefined;
  readonly expiresInDays?: number | undefined;
  readonly metadata?: TokenExtras['metadata'];
}

type Refusal = (status: 401 | 403 | 409 | 410, message: string) => Promise<never>;

export class BootstrapUseCases {
  constructor(private readonly deps: UseCaseDeps) {}

  /**
   * Admin: issue a bootstrap token for a new service. It authenticates nothing (the authorizer
   * denies it everywhere) and is good for one `POST /tokens/exchange` before it expires.
   */
  async create(caller: Caller, body: BootstrapRequest) {
    const refusal = isAdmin(caller) ? undefined : 'Only an admin can issue bootstrap tokens';
    const limits = issuerLimits(caller);
    await this.deps.guard.refuseUnless(
      caller,
      'token.bootstrap',
      body.owner,
      refusal ?? limits.refusal,
    );
    await refuseUnknownScopes(this.deps.stores.apis, body.scopes);
    const now = this.deps.now();
    const { token, input } = mintToken(
      {
        name: body.name,
        owner: body.owner,
        scopes: body.scopes,
        createdAt: now,
        expiresAt: earliest(
          new Date(now.getTime() + body.expiresInMinutes * MINUTE_MS),
          limits.expiresBy,
        ),
        kind: 'bootstrap',
        tokenLifetimeDays: body.tokenExpiresInDays,
        // The token it becomes does not outlive the admin token that issued it either.
        ...(limits.expiresBy === undefined ? {} : { tokenExpiresBy: limits.expiresBy }),
        ...(body.rotationPolicy === undefined ? {} : { rotationPolicy: body.rotationPolicy }),
      },
      this.deps.prefix,
    );
    const record = await this.deps.stores.tokens.create(input, auditContext(caller));
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
  async exchange(authorization: string | undefined, body: ExchangeRequest, requestId: string) {
    const parsed = parseToken(
      bearerToken(authorization) ?? '',
      this.deps.prefix ?? DEFAULT_TOKEN_PREFIX,
    );
    if (!parsed.ok) {
      throw new ApiError(401, 'Send the bootstrap token as "Authorization: Bearer sk_…"');
    }
    const bootstrap = await this.deps.stores.tokens.getByHash(hashToken(parsed.token), {
      consistent: true,
    });
    if (bootstrap === undefined) throw new ApiError(401, 'Not a valid bootstrap token');
    const context = { actor: bootstrap.tokenId, requestId };
    const refuse: Refusal = async (status, message) => {
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
    if (!kindRules(bootstrap).exchanges) return refuse(401, 'Not a valid bootstrap token');
    const scopes = body.scopes ?? bootstrap.scopes;
    const beyond = scopes.filter((scope) => !bootstrap.scopes.includes(scope));
    if (beyond.length > 0) {
      return refuse(403, `The bootstrap token does not allow these scopes: ${beyond.join(', ')}`);
    }
    const maxDays = bootstrap.tokenLifetimeDays ?? DEFAULT_TOKEN_LIFETIME_DAYS;
    if (body.expiresInDays !== undefined && body.expiresInDays > maxDays) {
      return refuse(
        403,
        `The bootstrap token allows a lifetime of at most ${String(maxDays)} days`,
      );
    }
    return this.exchangeOnce(
      bootstrap,
      { ...body, scopes, days: body.expiresInDays ?? maxDays },
      context,
      refuse,
    );
  }

  /** The exchange itself, once: a used, revoked or expired bootstrap token is refused. */
  private async exchangeOnce(
    bootstrap: TokenRecord,
    ask: ExchangeRequest & { readonly scopes: readonly string[]; readonly days: number },
    context: { actor: string; requestId: string },
    refuse: Refusal,
  ) {
    const now = this.deps.now();
    const { token, input } = mintToken(
      {
        name: ask.name ?? bootstrap.name,
        owner: bootstrap.owner,
        scopes: ask.scopes,
        createdAt: now,
        expiresAt: earliest(
          new Date(now.getTime() + ask.days * DAY_MS),
          bootstrap.tokenExpiresBy === undefined ? undefined : new Date(bootstrap.tokenExpiresBy),
        ),
        ...(ask.metadata === undefined ? {} : { metadata: ask.metadata }),
        ...(bootstrap.rotationPolicy === undefined
          ? {}
          : { rotationPolicy: bootstrap.rotationPolicy }),
      },
      this.deps.prefix,
    );
    let record: TokenRecord;
    try {
      record = await this.deps.stores.bootstrap.exchangeBootstrap(bootstrap, input, context);
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
}
