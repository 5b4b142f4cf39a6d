/** The rotation policy (pure): which policy applies, and when a token is due under it. */
import {
  InvalidRequestException,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig, alertsConfigSchema } from '../../shared/config';
import { RotationError } from '../../shared/rotation/errors';
import { SecretsManagerRotationStarter } from '../../shared/rotation/rotate-now';
import {
  DEFAULT_ROTATION_POLICY,
  policyFor,
  rotationDue,
  rotationPoliciesSchema,
  type RotationPolicies,
} from '../../shared/token/rotation-policy';

const DAY_MS = 86_400_000;
const CREATED = '2026-01-01T00:00:00.000Z';
const at = (days: number) => new Date(Date.parse(CREATED) + days * DAY_MS);
const policies: RotationPolicies = {
  default: DEFAULT_ROTATION_POLICY,
  owners: { strict: { rotateAfterDays: 14 } },
};

describe('which policy applies', () => {
  it("is the token's own, else its owner's, else the default", () => {
    const own = { rotateAfterDays: 7 };
    expect(policyFor({ owner: 'strict', rotationPolicy: own }, policies)).toEqual({
      policy: own,
      source: 'token',
    });
    expect(policyFor({ owner: 'strict' }, policies)).toEqual({
      policy: { rotateAfterDays: 14 },
      source: 'owner',
    });
    expect(policyFor({ owner: 'team-a' }, policies)).toEqual({
      policy: DEFAULT_ROTATION_POLICY,
      source: 'default',
    });
    // An owner named like an Object.prototype member has no policy of its own.
    expect(policyFor({ owner: 'constructor' }, policies).source).toBe('default');
  });

  it('refuses a high-usage period longer than the normal one', () => {
    const bad = rotationPoliciesSchema.safeParse({
      default: { rotateAfterDays: 30, highUsage: { usesPerDay: 5, rotateAfterDays: 60 } },
    });
    expect(bad.success).toBe(false);
    expect(JSON.stringify(bad.error?.issues)).toContain('must not exceed rotateAfterDays');
  });
});

describe('when a token is due', () => {
  it('is due at exactly 90 days by default, not a millisecond before', () => {
    const token = { owner: 'team-a', createdAt: CREATED };
    expect(rotationDue(token, policies, new Date(at(90).getTime() - 1))).toMatchObject({
      due: false,
      rule: 'age',
    });
    expect(rotationDue(token, policies, at(90))).toMatchObject({
      due: true,
      rule: 'age',
      dueAt: at(90).toISOString(),
    });
  });

  it('is due at 30 days when used more than 10,000 times a day on average', () => {
    const busy = { owner: 'team-a', createdAt: CREATED, useCount: 31 * 10_001 };
    expect(rotationDue(busy, policies, at(31))).toMatchObject({
      due: true,
      rule: 'usage',
      usesPerDay: 10_001,
    });
    const steady = { ...busy, useCount: 31 * 10_000 };
    expect(rotationDue(steady, policies, at(31))).toMatchObject({ due: false, rule: 'age' });
  });

  it('counts a young token as a day old, so a first-hour burst is not "heavy use"', () => {
    const young = { owner: 'team-a', createdAt: CREATED, useCount: 5_000 };
    expect(rotationDue(young, policies, new Date(at(0).getTime() + 3_600_000)).usesPerDay).toBe(
      5_000,
    );
  });

  it('only ever brings the due date forward with usage, never back', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 365 }),
        fc.integer({ min: 0, max: 100_000_000 }),
        fc.integer({ min: 0, max: 400 }),
        (after, uses, day) => {
          const p: RotationPolicies = {
            default: {
              rotateAfterDays: after,
              highUsage: { usesPerDay: 100, rotateAfterDays: Math.max(1, Math.floor(after / 3)) },
            },
            owners: {},
          };
          const token = { owner: 'o', createdAt: CREATED, useCount: uses };
          const withUsage = rotationDue(token, p, at(day));
          const unused = rotationDue({ ...token, useCount: 0 }, p, at(day));
          expect(Date.parse(withUsage.dueAt)).toBeLessThanOrEqual(Date.parse(unused.dueAt));
          if (unused.due) expect(withUsage.due).toBe(true);
        },
      ),
    );
  });
});

describe('ROTATION_POLICIES', () => {
  const base = {
    TOKENS_TABLE_NAME: 't',
    AUDIT_TABLE_NAME: 'a',
    ALERT_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:alerts',
  };

  it('defaults to 90 days, 30 under heavy use', () => {
    expect(parseConfig(alertsConfigSchema, base).ROTATION_POLICIES).toEqual({
      default: DEFAULT_ROTATION_POLICY,
      owners: {},
    });
  });

  it('names the variable when it is wrong', () => {
    expect(() =>
      parseConfig(alertsConfigSchema, {
        ...base,
        ROTATION_POLICIES: '{"default":{"rotateAfterDays":0}}',
      }),
    ).toThrow(/ROTATION_POLICIES/);
    expect(() => parseConfig(alertsConfigSchema, { ...base, ROTATION_POLICIES: 'nope' })).toThrow(
      /ROTATION_POLICIES: is not valid JSON/,
    );
  });
});

describe('starting a secret rotation', () => {
  const sm = mockClient(SecretsManagerClient);
  afterEach(() => sm.reset());
  const starter = new SecretsManagerRotationStarter(
    new SecretsManagerClient({ region: 'us-east-1' }),
  );

  it('calls RotateSecret for the secret', async () => {
    sm.on(RotateSecretCommand).resolves({ VersionId: 'v2' });
    expect(await starter.start('arn:aws:secretsmanager:us-east-1:123456789012:secret:svc')).toBe(
      'started',
    );
    expect(sm.commandCalls(RotateSecretCommand)[0]?.args[0].input).toEqual({
      SecretId: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:svc',
    });
  });

  it('treats a rotation already running as in progress, and anything else as a failure', async () => {
    const running = new InvalidRequestException({
      message: "A previous rotation isn't complete. That rotation will be reattempted.",
      $metadata: {},
    });
    const denied = Object.assign(new Error('denied'), { name: 'AccessDeniedException' });
    sm.on(RotateSecretCommand).rejectsOnce(running).rejectsOnce(denied);
    expect(await starter.start('svc')).toBe('in-progress');
    await expect(starter.start('svc')).rejects.toThrow(RotationError);
  });
});
