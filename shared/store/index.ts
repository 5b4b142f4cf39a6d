/**
 * The store's public face: one small repository per aggregate, all on the two tables, and a
 * read-only token reader for the functions that must not write (the authorizer, the relay).
 * Callers depend on the repositories they use, never on the DynamoDB mechanics behind them.
 *
 * - Every state change is one transaction: the conditional token write plus its audit event,
 *   so a change is never recorded without its audit event or the other way round.
 * - Conditions make writes race-safe: create never overwrites, revoke and rotate act once.
 * - The rules (what may happen to a token or a request) are pure functions in shared/token/;
 *   their refusals, and SDK errors, leave the store as `TokenStoreError`.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { AuditContext, AuditEvent, AuditInput } from './audit';
import type { NewToken, TokenRecord } from '../token/record';
import type { BootstrapRepository, RotationRequestRepository } from './request-repositories';
import { DynamoAlertLeases, type AlertClaim, type AlertTarget } from './alert-leases';
import type { ApiRegistryRepository } from './api-registry';
import { DynamoAuditLog } from './audit-log';
import { DynamoBootstrap } from './bootstrap';
import type { Page, PageRequest } from './dynamo/paging';
import { StoreTables, TokenTable, type ChangeResult } from './dynamo/table';
import { DynamoRotationRequests } from './rotation-requests';
import type { Rotated, RotationPlan } from './rotation-transaction';
import { DynamoRotations } from './rotations';
import { DynamoLeakReports, type LeakReportRepository } from './leak-reports';
import { DynamoTokenReader, DynamoTokens, type OwnerListing } from './tokens';
import { DynamoPolicyDue, type PolicyDueRepository } from './policy-due';
import { DynamoScheduleState, type ScheduleStateRepository } from './schedule-state';
import type { UsageSeen } from '../token/policy-due';
import type { RotationPolicies } from '../token/rotation-policy';

export type { PolicyDueRepository, ScheduleStateRepository };
export type { BootstrapRepository, RotationRequestRepository } from './request-repositories';
export type {
  AlertClaim,
  AlertTarget,
  ChangeResult,
  OwnerListing,
  Page,
  PageRequest,
  Rotated,
  RotationPlan,
};

export interface StoreOptions {
  readonly client: DynamoDBClient;
  readonly tables: { readonly tokens: string; readonly audit: string };
  /** Days a token item is kept after it stops authenticating, before TTL deletes it. */
  readonly retentionDays?: number;
  readonly auditRetentionDays?: number;
  readonly now?: () => Date;
  /**
   * The deployment's rotation policies: new tokens get their exact due date. Unknown (the CLI,
   * tests): a provisional date the alert run derives (shared/token/policy-due.ts).
   */
  readonly rotationPolicies?: RotationPolicies;
}

/** Reads of token items, by hash (the authorizer's one GetItem) or by public id. */
export interface TokenReader {
  /** Eventually consistent unless asked otherwise. */
  getByHash(
    tokenHash: string,
    options?: { consistent?: boolean },
  ): Promise<TokenRecord | undefined>;
  /** An index read, then a consistent read of the item. */
  getById(tokenId: string): Promise<TokenRecord | undefined>;
}

/** The authorizer's one write: the throttled usage counter. */
export interface UsageWriter {
  /**
   * Add `count` uses and set lastUsedAt (throttled by the caller); false if the token is gone.
   * With `seen` (the record the caller read), the same write brings the policy due date forward
   * once the average use crosses the heavy-use rate.
   */
  recordUsage(tokenHash: string, count: number, at: Date, seen?: UsageSeen): Promise<boolean>;
}

/** Tokens: register, look up, list, revoke, retire, count use. */
export interface TokenRepository extends TokenReader, UsageWriter {
  /**
   * Register a new token; `already-exists` rather than overwrite an item. With `pending`, it is
   * registered for a rotation that has not finished: it does not authenticate, is not in the
   * expiry index, and leaves by TTL after 7 days unless `activateSuccessor` activates it.
   */
  create(
    input: NewToken,
    context: AuditContext,
    options?: { pending?: { rotationId: string } },
  ): Promise<TokenRecord>;
  /** Tokens of one owner, newest first. Filters may make pages shorter than `limit`. */
  listByOwner(owner: string, request?: OwnerListing): Promise<Page<TokenRecord>>;
  /**
   * Live tokens whose end (expiry, or a predecessor's grace deadline) falls in [from, until),
   * soonest first, through the sparse expiry index: the read cost follows the matches only.
   * `createdBefore` is a filter: its read cost is the whole window.
   */
  listEnding(
    window: { from?: Date; until: Date },
    request?: PageRequest & { createdBefore?: Date },
  ): Promise<Page<TokenRecord>>;
  /** Idempotent: revoking a revoked token changes nothing and writes nothing. */
  revoke(tokenHash: string, context: AuditContext): Promise<ChangeResult>;
  /**
   * Retire a live token whose end has passed (expiry, or a rotated predecessor's grace): out of
   * the expiry index, `expired`, deleted by TTL after the retention period. A token whose end
   * has not come, or that is not active, is left alone (`changed: false`).
   */
  expire(tokenHash: string, context: AuditContext): Promise<ChangeResult>;
}

/** Rotations: the rotation transaction, the Secrets Manager steps, and the secret sweep. */
export interface RotationRepository {
  /**
   * Rotate in one transaction: `successor` registered (active), the predecessor given a grace
   * deadline (never past its own expiry), both audited; all or nothing. A predecessor that is
   * not active, already rotated, or no longer authenticates is a `conflict`.
   */
  replace(
    predecessorHash: string,
    successor: NewToken,
    graceUntil: Date,
    context: AuditContext,
  ): Promise<Rotated>;
  /**
   * Record that `successorId` replaced this token: it works until `graceUntil` (never past its
   * own expiry). Once per successor: a repeat is a no-op; another successor, a revoked or
   * expired token is a `conflict`.
   */
  markRotated(
    tokenHash: string,
    rotation: { successorId: string; graceUntil: Date },
    context: AuditContext,
  ): Promise<ChangeResult>;
  /**
   * First half of finishing a rotation, before AWSCURRENT moves: the pending successor becomes
   * active, and `endGraceOf` (rotated out by the previous rotation, still in grace) stops
   * working now, so at most two tokens of one secret are valid. Repeats are no-ops.
   */
  activateSuccessor(
    successorHash: string,
    options: { endGraceOf?: string },
    context: AuditContext,
  ): Promise<ChangeResult>;
  /** Undo `activateSuccessor` when AWSCURRENT could not move: back to `pending`. */
  deactivateSuccessor(successorHash: string, context: AuditContext): Promise<ChangeResult>;
  /**
   * End every live token of secret `secretId` that `keep` does not keep (see `sweepPlan`;
   * `context.reason` says why), each in one transaction with its audit event, decided on a
   * consistent read: a token ended, kept or gone meanwhile is skipped. Returns the ended ids.
   */
  sweepSecret(
    secretId: string,
    keep: (record: TokenRecord) => boolean,
    context: AuditContext,
  ): Promise<string[]>;
}

/** Leases on the one-per-token expiry alerts and "due for rotation" reports. */
export interface AlertLeaseRepository {
  /**
   * Lease the expiry alert for threshold `days`: one holder, only while no alert as urgent was
   * sent, the token is active, not rotated out and of a kind that gets alerts, and no other
   * lease is unexpired. The holder publishes, then confirms or releases; a lease lapses after
   * `leaseMs`.
   */
  claimExpiryAlert(
    tokenHash: string,
    days: number,
    leaseMs: number,
  ): Promise<AlertClaim | undefined>;
  /**
   * Record a sent alert and end the lease, with its audit event. False if the lease was lost
   * (lapsed and taken over: the alert may have gone twice) or the token stopped being active.
   */
  confirmExpiryAlert(
    claim: AlertClaim,
    record: AlertTarget,
    details: Readonly<Record<string, string>>,
    context: AuditContext,
  ): Promise<boolean>;
  /** Lease the one "due for rotation" report, as `claimExpiryAlert` (the same lease). */
  claimRotationDue(tokenHash: string, leaseMs: number): Promise<AlertClaim | undefined>;
  /** Record a sent "due for rotation" report with its audit event; false if the lease lapsed. */
  confirmRotationDue(
    claim: AlertClaim,
    record: AlertTarget,
    details: Readonly<Record<string, string>>,
    context: AuditContext,
  ): Promise<boolean>;
  /** Give a lease back after a failed publish, so the next run tries again at once. */
  releaseExpiryAlert(claim: AlertClaim): Promise<void>;
}

/** The audit trail: events written on their own (refusals), and the two listings. */
export interface AuditLog {
  /** An event on its own: for outcomes that change no token (failures). */
  append(input: AuditInput, context: AuditContext): Promise<void>;
  /** Events of one token, newest first. */
  listByTarget(targetId: string, request?: PageRequest): Promise<Page<AuditEvent>>;
  /** Events of one day (`2026-11-23`, UTC), newest first. */
  listByDay(day: string, request?: PageRequest): Promise<Page<AuditEvent>>;
}

export interface Stores {
  readonly tokens: TokenRepository;
  readonly rotations: RotationRepository;
  readonly requests: RotationRequestRepository;
  readonly bootstrap: BootstrapRepository;
  readonly alerts: AlertLeaseRepository;
  readonly audit: AuditLog;
  readonly policyDue: PolicyDueRepository;
  readonly schedules: ScheduleStateRepository;
}

/** The repositories and the API registry: what the management API and the CLI work on. */
export type PlatformStores = Stores & { readonly apis: ApiRegistryRepository };

export { openApiRegistry, type ApiRegistryRepository } from './api-registry';
export type { LeakedToken, LeakReportRepository } from './leak-reports';

export function openStores(options: StoreOptions): Stores {
  const tables = new StoreTables(new TokenTable(options.client, options.tables.tokens), {
    auditTable: options.tables.audit,
    retentionDays: options.retentionDays,
    auditRetentionDays: options.auditRetentionDays,
    now: options.now,
    rotationPolicies: options.rotationPolicies,
  });
  return {
    tokens: new DynamoTokens(tables),
    rotations: new DynamoRotations(tables),
    requests: new DynamoRotationRequests(tables),
    bootstrap: new DynamoBootstrap(tables),
    alerts: new DynamoAlertLeases(tables),
    audit: new DynamoAuditLog(tables),
    policyDue: new DynamoPolicyDue(tables.tokens),
    schedules: new DynamoScheduleState(tables.tokens, tables.now),
  };
}

/** The leak intake's repository (shared/leaks/): reports recorded once per token and report. */
export function openLeakReports(options: StoreOptions): LeakReportRepository {
  return new DynamoLeakReports(
    new StoreTables(new TokenTable(options.client, options.tables.tokens), {
      auditTable: options.tables.audit,
      retentionDays: options.retentionDays,
      auditRetentionDays: options.auditRetentionDays,
      now: options.now,
    }),
  );
}

/** For the functions that only read tokens (and count their use): no audit table, no writes. */
export function openTokenReader(options: {
  readonly client: DynamoDBClient;
  readonly tokensTable: string;
}): TokenReader & UsageWriter {
  return new DynamoTokenReader(new TokenTable(options.client, options.tokensTable));
}
