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
import { findTokens, hashToken } from '../../shared/token/format';
import { useRotationRig } from '../support/rotation-rig';
import { DAY_MS } from '../support/tokens';

const { stores, rig, spec, verify, expectInvariants, dumpTables } = useRotationRig('rot');

async function currentToken(driver: ReturnType<typeof rig>['driver'], secretId: string) {
  const value = await driver.value(secretId, 'AWSCURRENT');
  if (value.token === undefined || value.tokenId === undefined) throw new Error('no token');
  return { token: value.token, tokenId: value.tokenId, value };
}

describe('rotation lifecycle', () => {
  it('gives a new secret its first token on the first rotation, with the configured spec', async () => {
    const { driver } = rig();
    const owner = spec();
    const secretId = await driver.createSecret(owner);

    const { token, value } = await currentToken(driver, secretId);
    expect(value).toMatchObject({ ...owner, lifetimeDays: 90 });
    expect(value.tokenId).toMatch(/^tok_/);
    expect(await verify(token)).toMatchObject({
      allowed: true,
      record: { owner: owner.owner, scopes: owner.scopes, name: owner.name, status: 'active' },
    });
    await expectInvariants(driver, secretId);
  });

  it('rotate-now: the successor keeps owner and scopes, and both work during grace', async () => {
    const { driver } = rig();
    const secretId = await driver.createSecret(spec());
    const before = await currentToken(driver, secretId);

    await driver.rotate(secretId);

    const after = await currentToken(driver, secretId);
    expect((await driver.value(secretId, 'AWSPREVIOUS')).tokenId).toBe(before.tokenId);
    expect(after.tokenId).not.toBe(before.tokenId);
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
    await expectInvariants(driver, secretId);
  });

  it('keeps at most two valid tokens: a new rotation ends the older grace at once', async () => {
    const { driver } = rig();
    const secretId = await driver.createSecret(spec());
    const first = await currentToken(driver, secretId);
    await driver.rotate(secretId);
    await driver.rotate(secretId);

    expect(await verify(first.token)).toMatchObject({ allowed: false, reason: 'past-grace' });
    await expectInvariants(driver, secretId);
  });

  it('cuts over at once with a grace period of 0', async () => {
    const { driver } = rig({ graceDays: 0 });
    const secretId = await driver.createSecret(spec());
    const before = await currentToken(driver, secretId);
    await driver.rotate(secretId);
    expect(await verify(before.token)).toMatchObject({ allowed: false, reason: 'past-grace' });
  });

  it('is idempotent: every step run twice gives the same result as once', async () => {
    const { driver } = rig();
    const owner = spec();
    const secretId = await driver.createSecret(owner);
    const version = await driver.startRotation(secretId);
    for (const step of ROTATION_STEPS) {
      await driver.step(secretId, version, step);
      await driver.step(secretId, version, step);
    }
    await driver.endRotation(secretId, version);
    expect((await driver.stages(secretId)).get(version)).toEqual(['AWSCURRENT']);
    const tokens = await stores.tokens.listByOwner(owner.owner);
    expect(tokens.items.map((r) => r.status).sort()).toEqual(['active', 'active']);
    await expectInvariants(driver, secretId);
  });

  it('issues what the configuration says, whatever someone wrote into the secret', async () => {
    const { driver } = rig();
    const owner = spec();
    const hostile = JSON.stringify({ ...owner, scopes: ['admin'], owner: 'other-team' });
    const secretId = await driver.createSecret(owner, { initialValue: hostile });

    const { token } = await currentToken(driver, secretId);
    expect(await verify(token)).toMatchObject({
      allowed: true,
      record: { scopes: owner.scopes, owner: owner.owner },
    });
  });

  it('refuses a spec whose scope is outside the grammar: clear error, no token created', async () => {
    const { driver, specs } = rig();
    const owner = spec();
    const secretId = await driver.createSecret(owner, { rotateNow: false });
    // As a hand-edited TOKEN_SPECS would give it: CDK and the config schema refuse it earlier.
    specs.set(secretId, { ...owner, scopes: ['orders:read admin'], lifetimeDays: 90 });

    await expect(driver.rotate(secretId)).rejects.toThrow(
      `The spec of ${secretId} names invalid scopes: "orders:read admin"`,
    );
    expect((await stores.tokens.listByOwner(owner.owner)).items).toEqual([]);
    expect(await driver.tokens(secretId)).toEqual([]);
  });

  it('passes RotationToken on to PutSecretValue', async () => {
    const { driver, secrets, specs } = rig();
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
    const rotator = new TokenRotator({
      secrets: new SecretsAdapter(secrets),
      stores,
      graceMs: 0,
      specFor: (id) => specs.get(id),
    });
    const version = await driver.startRotation(secretId);
    await rotator.run({
      Step: 'createSecret',
      SecretId: secretId,
      ClientRequestToken: version,
      RotationToken: 'rotation-token-from-secrets-manager',
    });
    expect(seen).toEqual(['rotation-token-from-secrets-manager']);
  });

  it('never writes a plaintext token into any DynamoDB item or audit event', async () => {
    const { driver } = rig();
    const secretId = await driver.createSecret(spec());
    await driver.rotate(secretId);
    await driver.rotate(secretId);
    const tokens = (await driver.tokens(secretId)).map((t) => t.token);
    expect(tokens.length).toBeGreaterThanOrEqual(3);
    const dump = await dumpTables();
    expect(findTokens(dump)).toEqual([]);
    for (const token of tokens) expect(dump).not.toContain(token.slice(3, 30));
  });
});

describe('guards (the AWS rotation template)', () => {
  it('returns early for a version that is already AWSCURRENT', async () => {
    const { driver } = rig();
    const secretId = await driver.createSecret(spec());
    const current = [...(await driver.stages(secretId))].find(([, s]) => s.includes('AWSCURRENT'));
    await expect(
      driver.step(secretId, current?.[0] ?? '', 'createSecret'),
    ).resolves.toBeUndefined();
  });

  it('refuses a version that is not staged, or staged but not AWSPENDING', async () => {
    const { driver } = rig();
    const secretId = await driver.createSecret(spec());
    await driver.rotate(secretId);
    const previous = [...(await driver.stages(secretId))].find(([, s]) =>
      s.includes('AWSPREVIOUS'),
    );
    await expect(driver.step(secretId, randomUUID(), 'createSecret')).rejects.toThrow(
      /no stage for rotation/,
    );
    await expect(driver.step(secretId, previous?.[0] ?? '', 'setSecret')).rejects.toThrow(
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

  it('refuses a secret it was not configured for', async () => {
    const { driver, specs } = rig();
    const secretId = await driver.createSecret(spec(), { rotateNow: false });
    specs.delete(secretId);
    const version = await driver.startRotation(secretId);
    await expect(driver.step(secretId, version, 'createSecret')).rejects.toThrow(
      /not a service-token secret of this stack/,
    );
  });

  it('refuses a pending value that holds no token, naming fields but not content', async () => {
    const { driver } = rig();
    const secretId = await driver.createSecret(spec());
    const version = await driver.startRotation(secretId);
    await driver.client.send(
      new PutSecretValueCommand({
        SecretId: secretId,
        ClientRequestToken: version,
        SecretString: JSON.stringify({ owner: 7, password: 'hunter2' }),
        VersionStages: ['AWSPENDING'],
      }),
    );
    const failure = driver.step(secretId, version, 'setSecret');
    await expect(failure).rejects.toThrow(/pending secret value is invalid at owner/);
    await expect(failure).rejects.not.toThrow(/hunter2/);
  });
});

describe('failed and abandoned rotations', () => {
  it('a failed stage move undoes the activation; the current token keeps all its life', async () => {
    const { driver, faults } = rig({ graceDays: 0 });
    const secretId = await driver.createSecret(spec());
    const before = await currentToken(driver, secretId);
    const stuck = await driver.startRotation(secretId);
    for (const step of ['createSecret', 'setSecret', 'testSecret'] as const) {
      await driver.step(secretId, stuck, step);
    }
    faults.block('UpdateSecretVersionStageCommand');
    await expect(driver.step(secretId, stuck, 'finishSecret', 3)).rejects.toThrow(
      /UpdateSecretVersionStage failed/,
    );
    faults.reset();

    // Even with grace 0, nothing cut the current token off before AWSCURRENT moved.
    expect(await verify(before.token)).toMatchObject({ allowed: true, inGrace: false });
    const orphan = await driver.value(secretId, 'AWSPENDING', stuck);
    expect(await verify(orphan.token ?? '')).toMatchObject({ allowed: false, reason: 'pending' });
    await expectInvariants(driver, secretId);

    // Secrets Manager re-attempts the same rotation once the cause is gone.
    await driver.step(secretId, stuck, 'finishSecret');
    await driver.endRotation(secretId, stuck);
    expect((await currentToken(driver, secretId)).tokenId).toBe(orphan.tokenId);
    await expectInvariants(driver, secretId);
  });

  it('an abandoned rotation (AWSPENDING removed by hand) never authenticates; the next succeeds', async () => {
    const { driver } = rig();
    const secretId = await driver.createSecret(spec());
    const abandoned = await driver.startRotation(secretId);
    for (const step of ['createSecret', 'setSecret', 'testSecret'] as const) {
      await driver.step(secretId, abandoned, step);
    }
    const orphan = await driver.value(secretId, 'AWSPENDING', abandoned);
    expect(await verify(orphan.token ?? '')).toMatchObject({ allowed: false, reason: 'pending' });

    await driver.endRotation(secretId, abandoned); // the runbook's manual step
    await driver.rotate(secretId);

    expect(await verify(orphan.token ?? '')).toMatchObject({ allowed: false });
    await expectInvariants(driver, secretId);
  });

  it('a token left active by a crash between activation and stage move is revoked by the next rotation', async () => {
    const { driver } = rig();
    const secretId = await driver.createSecret(spec());
    const crashed = await driver.startRotation(secretId);
    for (const step of ['createSecret', 'setSecret', 'testSecret'] as const) {
      await driver.step(secretId, crashed, step);
    }
    const orphan = await driver.value(secretId, 'AWSPENDING', crashed);
    // The process died right after step (1) of finishSecret: activated, never current.
    await stores.rotations.activateSuccessor(hashToken(orphan.token ?? ''), {}, { actor: 'test' });
    expect(await verify(orphan.token ?? '')).toMatchObject({ allowed: true });

    await driver.endRotation(secretId, crashed); // abandoned by hand, per the runbook
    await driver.rotate(secretId);

    expect(await verify(orphan.token ?? '')).toMatchObject({ allowed: false, reason: 'revoked' });
    await expectInvariants(driver, secretId);
  });
});
