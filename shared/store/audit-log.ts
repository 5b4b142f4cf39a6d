/**
 * The audit trail: events written on their own (outcomes that change no token, such as
 * refusals), and its two listings, newest first. Events of a state change are written by the
 * change's own transaction (see `StoreTables.auditPut`).
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { AuditContext, AuditEvent, AuditInput } from './audit';
import { auditCursor, decodeCursor, encodeCursor } from './cursor';
import { parseAuditEvent } from './dynamo/items';
import { pageSize, type Page, type PageRequest } from './dynamo/paging';
import type { StoreTables } from './dynamo/table';
import { translateStoreError } from './errors';
import { AUDIT_INDEX } from './schema';

export class DynamoAuditLog {
  constructor(private readonly tables: StoreTables) {}

  async append(input: AuditInput, context: AuditContext): Promise<void> {
    try {
      await this.tables.doc.send(
        new PutCommand({
          TableName: this.tables.auditTable,
          Item: this.tables.auditItem(input, context),
        }),
      );
    } catch (error) {
      throw translateStoreError(error, 'recordAudit');
    }
  }

  async listByTarget(targetId: string, request: PageRequest = {}): Promise<Page<AuditEvent>> {
    return this.page('listAudit', ['targetId', targetId], undefined, request);
  }

  async listByDay(day: string, request: PageRequest = {}): Promise<Page<AuditEvent>> {
    return this.page('listAuditByDay', ['day', day], AUDIT_INDEX.byDay, request);
  }

  /** One page of audit events of one partition (of the table, or of an index), newest first. */
  private async page(
    operation: string,
    [name, value]: ['targetId' | 'day', string],
    indexName: string | undefined,
    request: PageRequest,
  ): Promise<Page<AuditEvent>> {
    const shape = auditCursor(name, value);
    const result = await this.tables.query(operation, {
      TableName: this.tables.auditTable,
      ...(indexName === undefined ? {} : { IndexName: indexName }),
      KeyConditionExpression: '#partition = :partition',
      ExpressionAttributeNames: { '#partition': name },
      ExpressionAttributeValues: { ':partition': value },
      ScanIndexForward: false,
      Limit: pageSize(request.limit),
      ExclusiveStartKey: decodeCursor(shape, request.cursor),
    });
    return {
      items: (result.Items ?? []).map(parseAuditEvent),
      cursor: encodeCursor(shape, result.LastEvaluatedKey),
    };
  }
}
