/**
 * The store's public face: one small repository per aggregate, all on the two tables, and a
 * read-only token reader for the functions that must not write (the authorizer, the relay).
 * Callers depend on the repositories they use, never on the DynamoDB mechanics behind them.
 *
 * TRANSITIONAL: the repositories delegate to the old TokenStore while it is split up.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { TokenStore } from './token-store';

export type { AlertClaim, ChangeResult, Page, PageRequest, RotationPlan } from './token-store';

export interface StoreOptions {
  readonly client: DynamoDBClient;
  readonly tables: { readonly tokens: string; readonly audit: string };
  /** Days a token item is kept after it stops authenticating, before TTL deletes it. */
  readonly retentionDays?: number;
  readonly auditRetentionDays?: number;
  readonly now?: () => Date;
}

/** Reads of token items, by hash (the authorizer's one GetItem) or by public id. */
export type TokenReader = Pick<TokenStore, 'getByHash' | 'getById'>;

/** The authorizer's one write: the throttled usage counter. */
export type UsageWriter = Pick<TokenStore, 'recordUsage'>;

/** Tokens: register, look up, list, revoke, retire, count use. */
export type TokenRepository = TokenReader &
  UsageWriter &
  Pick<TokenStore, 'create' | 'listByOwner' | 'listEnding' | 'revoke' | 'expire'>;

/** Rotations: the rotation transaction, the Secrets Manager steps, and the secret sweep. */
export type RotationRepository = Pick<
  TokenStore,
  'replace' | 'markRotated' | 'activateSuccessor' | 'deactivateSuccessor' | 'sweepSecret'
>;

/** Rotation requests: ask, decide, use the grant once, close, list the open ones. */
export type RotationRequestRepository = Pick<
  TokenStore,
  | 'requestRotation'
  | 'decideRotation'
  | 'executeRotationGrant'
  | 'closeRotationRequest'
  | 'listRotationRequests'
>;

/** The bootstrap exchange, once per bootstrap token. */
export type BootstrapRepository = Pick<TokenStore, 'exchangeBootstrap'>;

/** Leases on the one-per-token expiry alerts and "due for rotation" reports. */
export type AlertLeaseRepository = Pick<
  TokenStore,
  | 'claimExpiryAlert'
  | 'confirmExpiryAlert'
  | 'claimRotationDue'
  | 'confirmRotationDue'
  | 'releaseExpiryAlert'
>;

/** The audit trail: events written on their own (refusals), and the two listings. */
export interface AuditLog {
  readonly append: TokenStore['recordAudit'];
  readonly listByTarget: TokenStore['listAudit'];
  readonly listByDay: TokenStore['listAuditByDay'];
}

export interface Stores {
  readonly tokens: TokenRepository;
  readonly rotations: RotationRepository;
  readonly requests: RotationRequestRepository;
  readonly bootstrap: BootstrapRepository;
  readonly alerts: AlertLeaseRepository;
  readonly audit: AuditLog;
}

export function openStores(options: StoreOptions): Stores {
  const store = new TokenStore({
    client: options.client,
    tokensTable: options.tables.tokens,
    auditTable: options.tables.audit,
    ...(options.retentionDays === undefined ? {} : { retentionDays: options.retentionDays }),
    ...(options.auditRetentionDays === undefined
      ? {}
      : { auditRetentionDays: options.auditRetentionDays }),
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  return {
    tokens: store,
    rotations: store,
    requests: store,
    bootstrap: store,
    alerts: store,
    audit: {
      append: (input, context) => store.recordAudit(input, context),
      listByTarget: (targetId, page) => store.listAudit(targetId, page),
      listByDay: (day, page) => store.listAuditByDay(day, page),
    },
  };
}

/** For the functions that only read tokens (and count their use): no audit table, no writes. */
export function openTokenReader(options: {
  readonly client: DynamoDBClient;
  readonly tokensTable: string;
}): TokenReader & UsageWriter {
  return new TokenStore({ client: options.client, tokensTable: options.tokensTable });
}
