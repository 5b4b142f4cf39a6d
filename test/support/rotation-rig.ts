/**
 * Shared setup for rotation tests: per-file tables on DynamoDB Local, rotators whose AWS calls
 * pass through a fault injector, a driver playing Secrets Manager on moto, and the rotation
 * invariants every run must leave intact.
 */
import { ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, inject } from 'vitest';
import { localDynamoClient, localSecretsClient } from '../../local/aws/clients';
import { createTables, deleteTables } from '../../local/emulators/tables';
import { TokenRotator } from '../../shared/rotation/rotator';
import type { SecretSpec } from '../../shared/rotation/secret-value';
import { SecretsAdapter } from '../../shared/rotation/secrets';
import { openStores } from '../../shared/store';
import type { TokenRecord } from '../../shared/token/record';
import { evaluateRecord, verifyToken } from '../../shared/token/verify';
import { FaultInjector } from './fault-injector';
import { RotationDriver } from '../../local/aws/rotation-driver';
import { DAY_MS } from './tokens';

export function useRotationRig(prefix: string) {
  const suffix = randomUUID().slice(0, 8);
  const tables = { tokens: `${prefix}-tokens-${suffix}`, audit: `${prefix}-audit-${suffix}` };
  const admin = localDynamoClient(inject('dynamoEndpoint'));
  const stores = openStores({ client: admin, tables });

  let created: Promise<void> | undefined;
  /** Create the tables once; also usable while tests are being collected. */
  const ready = () => (created ??= createTables(admin, tables));
  beforeAll(ready);
  afterAll(async () => {
    await deleteTables(admin, tables);
    admin.destroy();
  });

  function rig(options: { graceDays?: number } = {}) {
    const faults = new FaultInjector();
    const specs = new Map<string, SecretSpec>();
    const dynamo = localDynamoClient(inject('dynamoEndpoint'));
    const secrets = localSecretsClient(inject('motoEndpoint'));
    faults.attach(dynamo);
    faults.attach(secrets);
    const rotator = new TokenRotator({
      secrets: new SecretsAdapter(secrets),
      stores: openStores({ client: dynamo, tables }),
      graceMs: (options.graceDays ?? 7) * DAY_MS,
      specFor: (secretId) => specs.get(secretId),
    });
    const driver = new RotationDriver(
      localSecretsClient(inject('motoEndpoint')),
      (event) => rotator.run(event),
      specs,
    );
    return { faults, driver, secrets, specs };
  }

  const spec = () => ({
    name: 'payments-ci',
    owner: `team-${randomUUID().slice(0, 8)}`,
    scopes: ['orders:read'],
  });

  const verify = (token: string) =>
    verifyToken(token, {
      lookup: (hash) => stores.tokens.getByHash(hash, { consistent: true }),
      now: () => new Date(),
    });

  /**
   * After any run: AWSCURRENT verifies; at most two tokens of the secret's owner are valid in
   * DynamoDB (current and, during grace, previous); a token that never became current never
   * verifies. Each test's secret has an owner of its own.
   */
  async function expectInvariants(driver: RotationDriver, secretId: string) {
    const current = await driver.value(secretId, 'AWSCURRENT');
    if (current.token === undefined || current.owner === undefined) {
      throw new Error('AWSCURRENT holds no token');
    }
    expect(await verify(current.token)).toMatchObject({ allowed: true });
    const now = new Date();
    const records: TokenRecord[] = [];
    let cursor: string | undefined;
    do {
      const page = await stores.tokens.listByOwner(current.owner, { cursor, limit: 100 });
      records.push(...page.items);
      cursor = page.cursor;
    } while (cursor !== undefined);
    const valid = records.filter((r) => evaluateRecord(r, now).allowed);
    expect(valid.length, `valid: ${valid.map((r) => r.tokenId).join(', ')}`).toBeLessThanOrEqual(2);
    for (const { token, stages } of await driver.tokens(secretId)) {
      if (stages.includes('AWSCURRENT') || stages.includes('AWSPREVIOUS')) continue;
      const verdict = await verify(token);
      expect(verdict.allowed, `a token in stages [${stages.join(',')}] verified`).toBe(false);
    }
  }

  /** Every item of both tables, as stored. */
  async function dumpTables(): Promise<string> {
    const items: unknown[] = [];
    for (const TableName of [tables.tokens, tables.audit]) {
      let ExclusiveStartKey: Record<string, AttributeValue> | undefined;
      do {
        const page = await admin.send(new ScanCommand({ TableName, ExclusiveStartKey }));
        items.push(...(page.Items ?? []));
        ExclusiveStartKey = page.LastEvaluatedKey;
      } while (ExclusiveStartKey !== undefined);
    }
    return JSON.stringify(items);
  }

  return { tables, stores, ready, rig, spec, verify, expectInvariants, dumpTables };
}
