/**
 * The rotation policy on the emulators: tokens on DynamoDB Local, the alert topic and a
 * service-token secret on moto, a clock the test moves. The alert run reports each token due
 * under its policy (by age, or sooner under heavy use) once, and starts the rotation of a due
 * token held in Secrets Manager.
 */
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { z } from 'zod';
import { localSecretsClient } from '../../local/aws/clients';
import type { AlertPublisher } from '../../shared/alerts/publisher';
import { SecretsManagerRotationStarter } from '../../shared/rotation/rotate-now';
import { RotationPolicyRun } from '../../shared/schedules/rotation-policy';
import { findTokens } from '../../shared/token/format';
import type { NewToken } from '../../shared/token/record';
import { DEFAULT_ROTATION_POLICY, type RotationPolicies } from '../../shared/token/rotation-policy';
import { apiClient } from '../support/api';
import { useAlertTopic } from '../support/alert-topic';
import { useDynamo } from '../support/dynamo';
import { clockStart, DAY_MS, newTestToken, seedCaller } from '../support/tokens';

const dynamo = useDynamo();
const topic = useAlertTopic();
const secrets: SecretsManagerClient = localSecretsClient(inject('motoEndpoint'));
afterAll(() => {
  secrets.destroy();
});

const T0 = clockStart();
const run = { actor: 'system:expiry-alerts', requestId: 'run-1' };

const alertSchema = z.object({
  kind: z.literal('rotation-due'),
  severity: z.enum(['medium', 'high']),
  owner: z.string(),
  alertId: z.string(),
  summary: z.string(),
  token: z.object({ id: z.string(), createdAt: z.string() }),
  policy: z.object({
    rule: z.enum(['age', 'usage']),
    source: z.enum(['token', 'owner', 'default']),
    rotateAfterDays: z.number(),
    dueAt: z.string(),
    usesPerDay: z.number(),
  }),
  rotationStarted: z.boolean(),
  howToRotate: z.string(),
});

const POLICIES: RotationPolicies = {
  default: DEFAULT_ROTATION_POLICY, // 90 days; 30 above 10,000 uses a day
  owners: { 'team-strict': { rotateAfterDays: 14 } },
};

function world() {
  let now = T0;
  const stores = dynamo.stores({ now: () => now });
  const policyRun = (publisher: AlertPublisher = topic.publisher()) =>
    new RotationPolicyRun({
      stores,
      publisher,
      rotations: new SecretsManagerRotationStarter(secrets),
      policies: POLICIES,
      now: () => now,
    }).run(run);
  return {
    stores,
    policyRun,
    at: (days: number) => {
      now = new Date(T0.getTime() + days * DAY_MS);
    },
    /** A token created at T0 that lives a year, so only the policy can make it due. */
    issue: async (overrides: Partial<NewToken> = {}) => {
      const issued = newTestToken(
        { expiresAt: new Date(T0.getTime() + 365 * DAY_MS), ...overrides },
        T0,
      );
      await stores.tokens.create(issued.input, { actor: 'test:setup' });
      return issued;
    },
    alerts: async () =>
      (await topic.inbox().drain()).map((a) => ({ ...a, body: alertSchema.parse(a.body) })),
  };
}

describe('rotation policy', () => {
  it('reports a token once it is older than 90 days, once, with its audit event', async () => {
    const w = world();
    const old = await w.issue({ name: 'ci-deploy' });
    w.at(89);
    expect(await w.policyRun()).toMatchObject({ due: { age: 0, usage: 0 }, reported: 0 });
    expect(await w.alerts()).toEqual([]);

    w.at(90);
    const first = await w.policyRun();
    expect(first).toMatchObject({
      due: { age: 1, usage: 0 },
      reported: 1,
      failures: [],
      complete: true,
    });
    const [alert, ...more] = await w.alerts();
    expect(more).toEqual([]);
    expect(alert?.attributes).toEqual({
      kind: 'rotation-due',
      severity: 'medium',
      owner: 'team-a',
    });
    expect(alert?.body).toMatchObject({
      alertId: `${old.input.tokenId}:rotation-due`,
      policy: { rule: 'age', source: 'default', rotateAfterDays: 90 },
      rotationStarted: false,
    });
    expect(alert?.body.howToRotate).toContain(`POST /tokens/${old.input.tokenId}/rotate`);
    const audit = (await w.stores.audit.listByTarget(old.input.tokenId)).items;
    expect(audit[0]).toMatchObject({
      action: 'token.rotation-due',
      outcome: 'success',
      actor: run.actor,
    });
    expect(audit[0]?.details).toMatchObject({ rule: 'age', source: 'default' });

    // Reported: out of the due index, so later runs do not even read it.
    w.at(95);
    expect(await w.policyRun()).toMatchObject({ due: { age: 0 }, reported: 0, itemsRead: 0 });
    expect(await w.alerts()).toEqual([]);
  });

  it('reports a heavily used token after 30 days, and leaves a quiet one alone', async () => {
    const w = world();
    const busy = await w.issue({ name: 'busy' });
    const quiet = await w.issue({ name: 'quiet' });
    await w.stores.tokens.recordUsage(
      busy.input.tokenHash,
      31 * 20_000,
      new Date(T0.getTime() + 30 * DAY_MS),
    );
    await w.stores.tokens.recordUsage(
      quiet.input.tokenHash,
      31 * 100,
      new Date(T0.getTime() + 30 * DAY_MS),
    );
    w.at(31);

    expect(await w.policyRun()).toMatchObject({ due: { age: 0, usage: 1 }, reported: 1 });

    const [alert] = await w.alerts();
    expect(alert?.attributes['severity']).toBe('high');
    expect(alert?.body).toMatchObject({
      token: { id: busy.input.tokenId },
      policy: { rule: 'usage', rotateAfterDays: 30, usesPerDay: 20_000 },
    });
  });

  it("follows the owner's policy, and a token's own policy over it", async () => {
    const w = world();
    const strict = await w.issue({ owner: 'team-strict' });
    const ownRule = await w.issue({
      owner: 'team-strict',
      rotationPolicy: { rotateAfterDays: 60 },
    });
    w.at(15);

    expect(await w.policyRun()).toMatchObject({ reported: 1 });
    const [alert] = await w.alerts();
    expect(alert?.body).toMatchObject({
      token: { id: strict.input.tokenId },
      policy: { source: 'owner', rotateAfterDays: 14 },
    });
    w.at(61);
    await w.policyRun();
    expect((await w.alerts()).map((a) => a.body.token.id)).toEqual([ownRule.input.tokenId]);
  });

  it('starts the rotation of a due token held in Secrets Manager', async () => {
    const w = world();
    const { ARN } = await secrets.send(
      new CreateSecretCommand({ Name: `svc-${randomUUID()}`, SecretString: '{}' }),
    );
    const versions = async () =>
      Object.keys(
        (await secrets.send(new DescribeSecretCommand({ SecretId: ARN }))).VersionIdsToStages ?? {},
      ).length;
    const before = await versions();
    const held = await w.issue({ secretId: ARN });
    w.at(90);

    expect(await w.policyRun()).toMatchObject({ reported: 1, rotationsStarted: 1 });

    expect(await versions()).toBeGreaterThan(before); // Secrets Manager started a rotation
    const [alert] = await w.alerts();
    expect(alert?.body).toMatchObject({ token: { id: held.input.tokenId }, rotationStarted: true });
    expect(alert?.body.summary).toMatch(/being rotated now/);
  });

  it("reports a token on its own short policy on time, below every owner's and default period", async () => {
    const w = world();
    const weekly = await w.issue({ rotationPolicy: { rotateAfterDays: 7 } });
    w.at(7);
    expect(await w.policyRun()).toMatchObject({ reported: 1 });
    const [alert] = await w.alerts();
    expect(alert?.body).toMatchObject({
      token: { id: weekly.input.tokenId },
      policy: { source: 'token', rotateAfterDays: 7 },
    });
  });

  it('still reports a due token whose secret rotation cannot be started, and says so', async () => {
    const w = world();
    const orphan = await w.issue({
      secretId: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:gone-AbCdEf',
    });
    w.at(90);

    expect(await w.policyRun()).toMatchObject({
      reported: 1,
      rotationsStarted: 0,
      rotationStartFailures: 1,
      failures: [],
    });
    const [alert] = await w.alerts();
    expect(alert?.body).toMatchObject({
      token: { id: orphan.input.tokenId },
      rotationStarted: false,
    });
    const [audit] = (await w.stores.audit.listByTarget(orphan.input.tokenId)).items;
    expect(audit?.details?.['rotationStartError']).toMatch(/ResourceNotFound/);
  });

  it("lets only an admin set a token's own policy, which its successor inherits", async () => {
    const w = world();
    const call = apiClient(w.stores);
    const seed = (owner: string, scopes: string[]) => seedCaller(w.stores.tokens, owner, scopes);
    const admin = await seed('platform', ['admin']);
    const team = await seed('team-a', ['tokens:write', 'orders:read']);
    const body = {
      name: 'weekly',
      owner: 'team-a',
      scopes: ['orders:read'],
      rotationPolicy: { rotateAfterDays: 7 },
    };

    const refused = await call(team, 'POST', '/tokens', { body });
    expect(refused.status).toBe(403);
    expect(refused.body['message']).toBe('Only an admin can set a rotation policy');

    const created = await call(admin, 'POST', '/tokens', { body });
    expect(created.status).toBe(201);
    const id = String(created.body['tokenId']);
    const rotatedReply = await call(admin, 'POST', `/tokens/${id}/rotate`, { body: {} });
    expect(rotatedReply.body).toMatchObject({ rotationPolicy: { rotateAfterDays: 7 } });
  });

  it('skips bootstrap, revoked and rotated-out tokens', async () => {
    const w = world();
    await w.issue({ kind: 'bootstrap' });
    const revoked = await w.issue();
    await w.stores.tokens.revoke(revoked.input.tokenHash, { actor: 'test' });
    const replaced = await w.issue();
    await w.stores.rotations.markRotated(
      replaced.input.tokenHash,
      { successorId: 'tok_successor00000000', graceUntil: new Date(T0.getTime() + 200 * DAY_MS) },
      { actor: 'test' },
    );
    w.at(100);

    expect(await w.policyRun()).toMatchObject({ due: { age: 0, usage: 0 }, reported: 0 });
    expect(await w.alerts()).toEqual([]);
  });

  it('a failed publish gives the report back: the next run sends it', async () => {
    const w = world();
    const token = await w.issue();
    w.at(90);
    const failing: AlertPublisher = { publish: () => Promise.reject(new Error('SNS is down')) };

    const failed = await w.policyRun(failing);
    expect(failed.failures).toEqual([{ tokenId: token.input.tokenId, error: 'Error' }]);
    expect((await w.stores.tokens.getById(token.input.tokenId))?.rotationDueAt).toBeUndefined();

    expect(await w.policyRun()).toMatchObject({ reported: 1, failures: [] });
    expect(await w.alerts()).toHaveLength(1);
  });

  it('never puts a token or its hash into an alert', async () => {
    const w = world();
    const token = await w.issue();
    w.at(90);
    await w.policyRun();
    const [alert] = await topic.inbox().drain();
    expect(alert?.raw).not.toContain(token.plaintext);
    expect(alert?.raw).not.toContain(token.input.tokenHash);
    expect(findTokens(alert?.raw ?? '')).toEqual([]);
  });
});
