/**
 * The DynamoDB mechanics every repository shares, and nothing else: reads and queries of the
 * tokens table (`TokenTable`, all a read-only function needs), and on both tables
 * (`StoreTables`) the transaction, the read-decide-write loop and the audit Put that make every
 * state change one transaction with its audit event. SDK errors leave as `TokenStoreError`.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TokenRecord } from '../../token/record';
import type { RotationPolicies } from '../../token/rotation-policy';
import { DEFAULT_AUDIT_RETENTION_DAYS, DEFAULT_RETENTION_DAYS } from '../../defaults';
import { auditItem, epochSeconds, type AuditContext, type AuditInput } from '../audit';
import {
  isConditionFailure,
  isTransactionConflict,
  translateStoreError,
  TokenStoreError,
} from '../errors';
import { TOKEN_INDEX } from '../schema';
import { parseRecord, type PlannedChange, type TransactItem } from './items';

/** A change's outcome: the token as it is now. */
export interface ChangeResult {
  readonly record: TokenRecord;
  /** False when the token was already in the requested state (an idempotent repeat). */
  readonly changed: boolean;
}

/** Attempts of one write (a transaction conflict, or a lost race of a read-decide-write). */
export const TRANSACTION_ATTEMPTS = 4;

/** The tokens table, read: by hash, by public id, and queries. */
export class TokenTable {
  readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    readonly name: string,
  ) {
    this.doc = DynamoDBDocumentClient.from(client, {
      marshallOptions: { removeUndefinedValues: true },
    });
  }

  /** The authorizer's single read. Eventually consistent unless asked otherwise. */
  async getByHash(
    tokenHash: string,
    options: { consistent?: boolean } = {},
  ): Promise<TokenRecord | undefined> {
    try {
      const { Item } = await this.doc.send(
        new GetCommand({
          TableName: this.name,
          Key: { tokenHash },
          ConsistentRead: options.consistent ?? false,
        }),
      );
      return Item === undefined ? undefined : parseRecord(Item);
    } catch (error) {
      throw translateStoreError(error, 'getByHash');
    }
  }

  /** Look a token up by its public id (index read, then a consistent read of the item). */
  async getById(tokenId: string): Promise<TokenRecord | undefined> {
    const keys = await this.query('getById', {
      TableName: this.name,
      IndexName: TOKEN_INDEX.byTokenId,
      KeyConditionExpression: 'tokenId = :id',
      ExpressionAttributeValues: { ':id': tokenId },
      Limit: 1,
    });
    const tokenHash: unknown = keys.Items?.[0]?.['tokenHash'];
    if (typeof tokenHash !== 'string') return undefined;
    return this.getByHash(tokenHash, { consistent: true });
  }

  async query(operation: string, input: QueryCommandInput) {
    try {
      return await this.doc.send(new QueryCommand(input));
    } catch (error) {
      throw translateStoreError(error, operation);
    }
  }
}

export interface StoreTablesOptions {
  readonly auditTable: string;
  /** Days a token item is kept after it stops authenticating, before TTL deletes it. */
  readonly retentionDays?: number;
  readonly auditRetentionDays?: number;
  readonly now?: () => Date;
  /** The deployment's rotation policies, for the due dates of new tokens. */
  readonly rotationPolicies?: RotationPolicies | undefined;
}

/** Both tables, written: every state change is one transaction with its audit event. */
export class StoreTables {
  readonly auditTable: string;
  readonly now: () => Date;
  readonly rotationPolicies: RotationPolicies | undefined;
  private readonly retentionSeconds: number;
  private readonly auditRetentionDays: number;

  constructor(
    readonly tokens: TokenTable,
    options: StoreTablesOptions,
  ) {
    this.auditTable = options.auditTable;
    this.retentionSeconds = (options.retentionDays ?? DEFAULT_RETENTION_DAYS) * 86_400;
    this.auditRetentionDays = options.auditRetentionDays ?? DEFAULT_AUDIT_RETENTION_DAYS;
    this.now = options.now ?? (() => new Date());
    this.rotationPolicies = options.rotationPolicies;
  }

  get tokensTable(): string {
    return this.tokens.name;
  }

  /** The one document client, for both tables. */
  get doc(): DynamoDBDocumentClient {
    return this.tokens.doc;
  }

  /** A query of either table or an index, SDK errors translated. */
  query(operation: string, input: QueryCommandInput) {
    return this.tokens.query(operation, input);
  }

  /** The TTL of an item that ends at `isoTime`: kept for the retention period, then deleted. */
  ttlAfter(isoTime: string): number {
    return epochSeconds(new Date(isoTime)) + this.retentionSeconds;
  }

  /** The stored audit item of an event that happens now. */
  auditItem(input: AuditInput, context: AuditContext) {
    return auditItem(input, context, this.now(), this.auditRetentionDays);
  }

  /** The audit event's Put, as an item of the change's transaction. */
  auditPut(input: AuditInput, context: AuditContext): TransactItem {
    return { Put: { TableName: this.auditTable, Item: this.auditItem(input, context) } };
  }

  /** A planned update of `record`'s item, as a transaction item. */
  updateItem(record: TokenRecord, update: PlannedChange['update']): TransactItem {
    return {
      Update: { TableName: this.tokens.name, Key: { tokenHash: record.tokenHash }, ...update },
    };
  }

  /**
   * TransactWriteItems, retried on TransactionConflict: two transactions touching one item at
   * the same moment can both be cancelled, and a retry then sees the winner's write.
   */
  async transact(operation: string, items: TransactItem[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.tokens.doc.send(new TransactWriteCommand({ TransactItems: items }));
        return;
      } catch (error) {
        if (!isTransactionConflict(error)) throw error;
        if (attempt >= TRANSACTION_ATTEMPTS) {
          throw new TokenStoreError('contention', `${operation} conflicted with other writes`, {
            cause: error,
          });
        }
        await sleep(10 * 2 ** attempt * Math.random());
      }
    }
  }

  /**
   * Read-decide-write for one token: read it consistently, let `decide` plan an update (or
   * return undefined for "already done"), then apply the update and its audit event in one
   * transaction conditioned on the state that was read. A lost race re-reads and decides again.
   */
  async change(
    operation: string,
    tokenHash: string,
    context: AuditContext,
    decide: (current: TokenRecord, now: Date) => PlannedChange | undefined,
  ): Promise<ChangeResult> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.tokens.getByHash(tokenHash, { consistent: true });
      if (current === undefined) throw new TokenStoreError('not-found', 'No such token');
      const now = this.now();
      const plan = decide(current, now);
      if (plan === undefined) return { record: current, changed: false };
      try {
        await this.transact(operation, [
          this.updateItem(current, plan.update),
          this.auditPut(
            { ...plan.audit, targetId: current.tokenId, owner: current.owner },
            context,
          ),
        ]);
      } catch (error) {
        if (isConditionFailure(error, 0) && attempt < TRANSACTION_ATTEMPTS) continue;
        throw isConditionFailure(error, 0)
          ? new TokenStoreError('contention', `${operation} kept losing races`, { cause: error })
          : translateStoreError(error, operation);
      }
      const updated = await this.tokens.getByHash(tokenHash, { consistent: true });
      if (updated === undefined) throw new TokenStoreError('not-found', 'No such token');
      return { record: updated, changed: true };
    }
  }
}
