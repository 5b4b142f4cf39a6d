/**
 * Rotation against the emulators (Secrets Manager on moto, tokens on DynamoDB Local), driven
 * the way Secrets Manager drives it: a fresh ClientRequestToken per rotation, the four steps
 * in order, failing steps retried.
 */
import { CancelRotateSecretCommand, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ROTATION_STEPS, TokenRotator } from '../../shared/rotation/rotator';
import { SecretsAdapter } from '../../shared/rotation/secrets';
import { findTokens } from '../../shared/token/format';
import { useRotationRig } from '../support/rotation-rig';
import { DAY_MS } from '../support/tokens';

const { store, rig, spec, verify, expectInvariants } = useRotationRig('rot');

describe('rotation lifecycle', () => {
  it('gives a spec-only secret its first token on the first rotation', async () => {
    const { driver } = rig();
    const owner = spec();
    const secretId = await driver.createSecret(owner);

    const value = await driver.value(secretId, 'AWSCURRENT');
    expect(value).toMatchObject({ ...owner, lifetimeDays: 90 });
    expect(value.tokenId).toMatch(/^tok_/);
    if (value.token === undefined) throw new Error('no token');
    expect(await verify(value.token)).toMatchObject({
      allowed: true,
      record: { owner: owner.owner, scopes: owner.scopes, name: owner.name, status: 'active' },
    });
    await expectInvariants(driver, secretId);
  });

  it('rotate-now: the successor keeps owner and scopes, and both work during grace', async () => {
    const { driver } = rig();
    const secretId = await driver.createSecret(spec());
    const before = await driver.value(secretId, 'AWSCURRENT');

    await driver.rotate(secretId);

    const after = await driver.value(secretId, 'AWSCURRENT');
    const previous = await driver.value(secretId, 'AWSPREVIOUS');
    expect(previous.tokenId).toBe(before.tokenId);
    expect(after.tokenId).not.toBe(before.tokenId);
    if (after.token === undefined || before.token === undefined) throw new Error('no token');
    const successor = await verify(after.token);
    const predecessor = await verify(before.token);
    expect(successor).toMatchObject({ allowed: true, inGrace: false });
    expect(predecessor).toMatchObject({ allowed: true, inGrace: true });
    if (!successor.allowed || !predecessor.allowed) throw new Error('unreachable');
    expect(successor.record).toMatchObject({
      owner: predecessor.record.owner,
      scopes: predecessor.record.scopes,
      rotatedFrom: predecessor.record.tokenId,
    });
    const graceMs = Date.parse(predecessor.record.graceUntil ?? '') - Date.now();
    expect(graceMs).toBeGreaterThan(7 * DAY_MS - 60_000);
    expect(graceMs).toBeLessThanOrEqual(7 * DAY_MS);
  });

  it('keeps at most two valid tokens: a new rotation ends the older grace at once', async () => {
    const { driver } = rig();
    const secretId = await driver.createSecret(spec());
    const first = await driver.value(secretId, 'AWSCURRENT');
    await driver.rotate(secretId);
    await driver.rotate(secretId);

    if (first.token === undefined) throw new Error('no token');
    expect(await verify(first.token)).toMatchObject({ allowed: false, reason: 'past-grace' });
    await expectInvariants(driver, secretId);
  });

  it('cuts over at once with a grace period of 0', async () => {
    const { driver } = rig({ graceDays: 0 });
    const secretId = await driver.createSecret(spec());
    const before = await driver.value(secretId, 'AWSCURRENT');
    await driver.rotate(secretId);
    if (before.token === undefined) throw new Error('no token');
    expect(await verify(before.token)).toMatchObject({ allowed: false, reason: 'past-grace' });
  });

  it('is idempotent: every step run twice gives the same result as once', async () => {
    const { driver } = rig();
    const secretId = await driver.createSecret(spec());
    const version = await driver.startRotation(secretId);
    for (const step of ROTATION_STEPS) {
      await driver.step(secretId, version, step);
      await driver.step(secretId, version, step);
    }
    const current = await driver.value(secretId, 'AWSCURRENT');
    await driver.endRotation(secretId, version);
    expect((await driver.stages(secretId)).get(version)).toEqual(['AWSCURRENT']);
    const owner = await store.listByOwner(current.owner);
    expect(owner.items.map((r) => r.status).sort()).toEqual(['active', 'active']);
    await expectInvariants(driver, secretId);
  });

  it('passes RotationToken on to PutSecretValue', async () => {
    const { driver, secrets } = rig();
    const secretId = await driver.createSecret(spec());
    const seen: unknown[] = [];
    secrets.middlewareStack.add(
      (next, context) => (args) => {
        if (context.commandName === 'PutSecretValueCommand') {
          seen.push(Reflect.get(args.input, 'RotationToken'));
        }
        return next(args);
      },
      { step: 'initialize' },
    );
    const rotator = new TokenRotator({ secrets: new SecretsAdapter(secrets), store, graceMs: 0 });
    const version = await driver.startRotation(secretId);
    await rotator.run({
      Step: 'createSecret',
      SecretId: secretId,
      ClientRequestToken: version,
      RotationToken: 'rotation-token-from-secrets-manager',
    });
    expect(seen).toEqual(['rotation-token-from-secrets-manager']);
  });

  it('never writes a plaintext token into DynamoDB or audit events', async () => {
    const { driver } = rig();
    const secretId = await driver.createSecret(spec());
    await driver.rotate(secretId);
    const tokens = (await driver.tokens(secretId)).map((t) => t.token);
    const dump = JSON.stringify([
      await store.listAudit((await driver.value(secretId, 'AWSCURRENT')).tokenId ?? ''),
      await store.listByOwner((await driver.value(secretId, 'AWSCURRENT')).owner),
    ]);
    expect(findTokens(dump)).toEqual([]);
    for (const token of tokens) expect(dump).not.toContain(token.slice(3, 30));
  });
});

describe('guards (the AWS rotation template)', () => {
  it('returns early for a version that is already AWSCURRENT', async () => {
    const { driver, secrets } = rig();
    const secretId = await driver.createSecret(spec());
    const [current] =
      [...(await driver.stages(secretId))].find(([, s]) => s.includes('AWSCURRENT')) ?? [];
    if (current === undefined) throw new Error('no current');
    const rotator = new TokenRotator({ secrets: new SecretsAdapter(secrets), store, graceMs: 0 });
    await expect(
      rotator.run({ Step: 'finishSecret', SecretId: secretId, ClientRequestToken: current }),
    ).resolves.toBe('already-current');
  });

  it('refuses a version that is not staged, or staged but not AWSPENDING', async () => {
    const { driver } = rig();
    const secretId = await driver.createSecret(spec());
    await driver.rotate(secretId);
    const [previous] =
      [...(await driver.stages(secretId))].find(([, s]) => s.includes('AWSPREVIOUS')) ?? [];
    await expect(driver.step(secretId, randomUUID(), 'createSecret')).rejects.toThrow(
      /no stage for rotation/,
    );
    await expect(driver.step(secretId, previous ?? '', 'setSecret')).rejects.toThrow(
      /is not AWSPENDING/,
    );
  });

  it('refuses to rotate a secret whose rotation is disabled', async () => {
    const { driver } = rig();
    const secretId = await driver.createSecret(spec());
    const version = await driver.startRotation(secretId);
    await driver.client.send(new CancelRotateSecretCommand({ SecretId: secretId }));
    await expect(driver.step(secretId, version, 'createSecret')).rejects.toThrow(/not enabled/);
  });

  it('refuses a pending value that is not a token secret, naming fields but not content', async () => {
    const { driver } = rig();
    const secretId = await driver.createSecret(spec());
    const version = await driver.startRotation(secretId);
    await driver.client.send(
      new PutSecretValueCommand({
        SecretId: secretId,
        ClientRequestToken: version,
        SecretString: JSON.stringify({ owner: 'x', password: 'hunter2' }),
        VersionStages: ['AWSPENDING'],
      }),
    );
    const failure = driver.step(secretId, version, 'setSecret');
    await expect(failure).rejects.toThrow(/pending secret value is invalid at name, scopes/);
    await expect(failure).rejects.not.toThrow(/hunter2/);
  });
});

describe('failed and abandoned rotations', () => {
  it('a rotation abandoned before finishing leaves a token that never authenticates, and the next one succeeds', async () => {
    const { driver } = rig();
    const secretId = await driver.createSecret(spec());
    const abandoned = await driver.startRotation(secretId);
    await driver.step(secretId, abandoned, 'createSecret');
    await driver.step(secretId, abandoned, 'setSecret');
    await driver.step(secretId, abandoned, 'testSecret');
    const orphan = await driver.value(secretId, 'AWSPENDING', abandoned);
    if (orphan.token === undefined) throw new Error('no token');
    expect(await verify(orphan.token)).toMatchObject({ allowed: false, reason: 'pending' });

    await driver.rotate(secretId);

    expect((await driver.stages(secretId)).get(abandoned) ?? []).not.toContain('AWSPENDING');
    expect(await verify(orphan.token)).toMatchObject({ allowed: false });
    await expectInvariants(driver, secretId);
  });

  it('a rotation whose stage move never happened is repaired by the next rotation', async () => {
    const { driver, faults } = rig();
    const secretId = await driver.createSecret(spec());
    const before = await driver.value(secretId, 'AWSCURRENT');
    const stuck = await driver.startRotation(secretId);
    for (const step of ['createSecret', 'setSecret', 'testSecret'] as const) {
      await driver.step(secretId, stuck, step);
    }
    faults.block('UpdateSecretVersionStageCommand');
    await expect(driver.step(secretId, stuck, 'finishSecret', 3)).rejects.toThrow(
      /UpdateSecretVersionStage failed/,
    );
    faults.reset();
    const orphan = await driver.value(secretId, 'AWSPENDING', stuck);
    if (orphan.token === undefined || before.token === undefined) throw new Error('no token');

    // Secrets Manager gave up; a new rotation (scheduled or rotate-now) starts.
    await driver.rotate(secretId);

    expect(await verify(orphan.token)).toMatchObject({ allowed: false, reason: 'revoked' });
    expect(await verify(before.token)).toMatchObject({ allowed: true, inGrace: true });
    await expectInvariants(driver, secretId);
  });
});
