/**
 * TRANSITIONAL (structure redesign, issue 19): the old `TokenStore` class as a thin facade over
 * the repositories of `./index.ts`, so consumers not yet moved to `openStores` /
 * `openTokenReader` keep working unchanged. It only delegates. Deleted once every consumer uses
 * the repositories; add nothing here.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { AuditContext, AuditInput } from './audit';
import type { NewToken, TokenRecord } from '../token/record';
import type { Closing, Decision } from '../token/rotation-request';
import {
  openStores,
  openTokenReader,
  type AlertClaim,
  type PageRequest,
  type RotationPlan,
  type Stores,
  type TokenReader,
  type UsageWriter,
} from './index';
import type { AlertTarget } from './alert-leases';
import type { OwnerListing } from './tokens';

export type { AlertClaim, ChangeResult, Page, PageRequest, RotationPlan } from './index';
export { GRANT_HOURS, REQUEST_DAYS } from '../token/rotation-request';

export interface TokenStoreOptions {
  readonly client: DynamoDBClient;
  readonly tokensTable: string;
  /** Required for every write but usage; the authorizer, which only reads, has none. */
  readonly auditTable?: string;
  /** Days a token item is kept after it stops authenticating, before TTL deletes it. */
  readonly retentionDays?: number;
  readonly auditRetentionDays?: number;
  readonly now?: () => Date;
}

/** TRANSITIONAL: use `openStores` (or `openTokenReader`) and the repository you need. */
export class TokenStore {
  private readonly reader: TokenReader & UsageWriter;
  private readonly writers: Stores | undefined;

  constructor(options: TokenStoreOptions) {
    this.writers =
      options.auditTable === undefined
        ? undefined
        : openStores({
            client: options.client,
            tables: { tokens: options.tokensTable, audit: options.auditTable },
            ...(options.retentionDays === undefined
              ? {}
              : { retentionDays: options.retentionDays }),
            ...(options.auditRetentionDays === undefined
              ? {}
              : { auditRetentionDays: options.auditRetentionDays }),
            ...(options.now === undefined ? {} : { now: options.now }),
          });
    this.reader = this.writers?.tokens ?? openTokenReader(options);
  }

  private get stores(): Stores {
    if (this.writers === undefined) {
      throw new Error('This TokenStore was built without an audit table; it cannot write changes');
    }
    return this.writers;
  }

  async getByHash(tokenHash: string, options?: { consistent?: boolean }) {
    return this.reader.getByHash(tokenHash, options);
  }
  async getById(tokenId: string) {
    return this.reader.getById(tokenId);
  }
  async recordUsage(tokenHash: string, count: number, at: Date) {
    return this.reader.recordUsage(tokenHash, count, at);
  }
  async create(
    input: NewToken,
    context: AuditContext,
    options?: { pending?: { rotationId: string } },
  ) {
    return this.stores.tokens.create(input, context, options);
  }
  async listByOwner(owner: string, request?: OwnerListing) {
    return this.stores.tokens.listByOwner(owner, request);
  }
  async listEnding(
    window: { from?: Date; until: Date },
    request?: PageRequest & { createdBefore?: Date },
  ) {
    return this.stores.tokens.listEnding(window, request);
  }
  async revoke(tokenHash: string, context: AuditContext) {
    return this.stores.tokens.revoke(tokenHash, context);
  }
  async expire(tokenHash: string, context: AuditContext) {
    return this.stores.tokens.expire(tokenHash, context);
  }

  async replace(
    predecessorHash: string,
    successor: NewToken,
    graceUntil: Date,
    context: AuditContext,
  ) {
    return this.stores.rotations.replace(predecessorHash, successor, graceUntil, context);
  }
  async markRotated(
    tokenHash: string,
    rotation: { successorId: string; graceUntil: Date },
    context: AuditContext,
  ) {
    return this.stores.rotations.markRotated(tokenHash, rotation, context);
  }
  async activateSuccessor(
    successorHash: string,
    options: { endGraceOf?: string },
    context: AuditContext,
  ) {
    return this.stores.rotations.activateSuccessor(successorHash, options, context);
  }
  async deactivateSuccessor(successorHash: string, context: AuditContext) {
    return this.stores.rotations.deactivateSuccessor(successorHash, context);
  }
  async sweepSecret(
    secretId: string,
    keep: (record: TokenRecord) => boolean,
    context: AuditContext,
  ) {
    return this.stores.rotations.sweepSecret(secretId, keep, context);
  }

  async requestRotation(
    tokenHash: string,
    request: { requestId: string; reason: string },
    context: AuditContext,
  ) {
    return this.stores.requests.requestRotation(tokenHash, request, context);
  }
  async decideRotation(tokenHash: string, decision: Decision, context: AuditContext) {
    return this.stores.requests.decideRotation(tokenHash, decision, context);
  }
  async executeRotationGrant(
    predecessorHash: string,
    requestId: string,
    planRotation: RotationPlan,
    context: AuditContext,
  ) {
    return this.stores.requests.executeRotationGrant(
      predecessorHash,
      requestId,
      planRotation,
      context,
    );
  }
  async closeRotationRequest(tokenHash: string, closing: Closing, context: AuditContext) {
    return this.stores.requests.closeRotationRequest(tokenHash, closing, context);
  }
  async listRotationRequests(
    state: 'pending' | 'approved',
    request?: PageRequest & { lapsedBy?: Date },
  ) {
    return this.stores.requests.listRotationRequests(state, request);
  }

  async exchangeBootstrap(bootstrap: TokenRecord, operational: NewToken, context: AuditContext) {
    return this.stores.bootstrap.exchangeBootstrap(bootstrap, operational, context);
  }

  async claimExpiryAlert(tokenHash: string, days: number, leaseMs: number) {
    return this.stores.alerts.claimExpiryAlert(tokenHash, days, leaseMs);
  }
  async confirmExpiryAlert(
    claim: AlertClaim,
    record: AlertTarget,
    details: Readonly<Record<string, string>>,
    context: AuditContext,
  ) {
    return this.stores.alerts.confirmExpiryAlert(claim, record, details, context);
  }
  async claimRotationDue(tokenHash: string, leaseMs: number) {
    return this.stores.alerts.claimRotationDue(tokenHash, leaseMs);
  }
  async confirmRotationDue(
    claim: AlertClaim,
    record: AlertTarget,
    details: Readonly<Record<string, string>>,
    context: AuditContext,
  ) {
    return this.stores.alerts.confirmRotationDue(claim, record, details, context);
  }
  async releaseExpiryAlert(claim: AlertClaim) {
    return this.stores.alerts.releaseExpiryAlert(claim);
  }

  async recordAudit(input: AuditInput, context: AuditContext) {
    return this.stores.audit.append(input, context);
  }
  async listAudit(targetId: string, request?: PageRequest) {
    return this.stores.audit.listByTarget(targetId, request);
  }
  async listAuditByDay(day: string, request?: PageRequest) {
    return this.stores.audit.listByDay(day, request);
  }
}
