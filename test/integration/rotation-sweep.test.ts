/**
 * "At most two valid tokens per secret" by construction: after any successful finishSecret,
 * the only tokens of the secret that verify are those of AWSCURRENT and AWSPREVIOUS, whatever
 * earlier rotations left behind (here: a finishSecret that failed after its stage move and was
 * never retried), and the sweep that ends the others is idempotent and race-safe.
 */
import { UpdateSecretVersionStageCommand } from '@aws-sdk/client-secrets-manager';
import { describe, expect, inject, it } from 'vitest';
import { localDynamoClient } from '../../local/aws/clients';
import { RotationDriver } from '../../local/aws/rotation-driver';
import { TokenRotator } from '../../shared/rotation/rotator';
import { SecretsAdapter } from '../../shared/rotation/secrets';
import { openStores } from '../../shared/store';
import { hashToken } from '../../shared/token/format';
import { useRotationRig } from '../support/rotation-rig';
import {
  beforeWriteOf,
  failAfterStageMove,
  tokenOf,
  verifyingStages,
} from '../support/rotation-sweep';
import { DAY_MS } from '../support/tokens';

const { tables, stores, rig, spec, verify, expectInvariants, dumpTables } = useRotationRig('sweep');

type Rig = ReturnType<typeof rig>;
const PRE_FINISH = ['createSecret', 'setSecret', 'testSecret'] as const;

/**
 * A secret whose last rotation's finishSecret failed after the stage move and was never
 * retried: AWSCURRENT moved, but the token it replaced never got a grace deadline.
 */
async function secretWithLostFinish(r: Rig) {
  const { driver, faults } = r;
  const secretId = await driver.createSecret(spec());
  const replaced = await tokenOf(driver, secretId, 'AWSCURRENT');
  const lost = await driver.startRotation(secretId);
  for (const step of PRE_FINISH) await driver.step(secretId, lost, step);
  failAfterStageMove(r);
  await expect(driver.step(secretId, lost, 'finishSecret')).rejects.toThrow(/throttled/);
  faults.reset();
  await driver.endRotation(secretId, lost); // Secrets Manager gave up; nobody retried.
  return { secretId, replaced, lost };
}

/** A driver whose rotator's DynamoDB client `hook` may instrument. */
function driverWith(r: Rig, hook: (client: ReturnType<typeof localDynamoClient>) => void) {
  const client = localDynamoClient(inject('dynamoEndpoint'));
  hook(client);
  const rotator = new TokenRotator({
    secrets: new SecretsAdapter(r.secrets),
    stores: openStores({ client, tables }),
    graceMs: 7 * DAY_MS,
    specFor: (secretId) => r.specs.get(secretId),
  });
  return new RotationDriver(r.driver.client, (event) => rotator.run(event), r.specs);
}

describe('the sweep after finishSecret', () => {
  it('ends the token of a rotation whose finishSecret failed after the stage move and was never retried', async () => {
    const r = rig();
    const { secretId, replaced, lost } = await secretWithLostFinish(r);
    expect((await r.driver.stages(secretId)).get(lost)).toEqual(['AWSCURRENT']);
    // The replaced token never got its grace deadline: it is still active for its whole life.
    expect(await verify(replaced.token)).toMatchObject({ allowed: true, inGrace: false });

    const next = await r.driver.rotate(secretId);

    expect(await verifyingStages(r.driver, secretId, verify)).toEqual([
      'AWSCURRENT',
      'AWSPREVIOUS',
    ]);
    expect(await verify(replaced.token)).toMatchObject({ allowed: false, reason: 'revoked' });
    const previous = await tokenOf(r.driver, secretId, 'AWSPREVIOUS');
    expect(await verify(previous.token)).toMatchObject({ allowed: true, inGrace: true });
    expect((await stores.audit.listByTarget(replaced.tokenId)).items).toContainEqual(
      expect.objectContaining({
        action: 'token.revoked',
        actor: 'system:rotation',
        requestId: next,
        outcome: 'success',
        reason: expect.stringMatching(/held by neither AWSCURRENT nor AWSPREVIOUS/) as unknown,
      }),
    );
    await expectInvariants(r.driver, secretId);
  });

  it('is idempotent: finishSecret run again after the sweep writes nothing', async () => {
    const r = rig();
    const { secretId, replaced } = await secretWithLostFinish(r);
    const version = await r.driver.startRotation(secretId);
    for (const step of [...PRE_FINISH, 'finishSecret'] as const) {
      await r.driver.step(secretId, version, step);
    }
    const after = await dumpTables();

    await r.driver.step(secretId, version, 'finishSecret');
    await r.driver.endRotation(secretId, version);
    await r.driver.step(secretId, version, 'finishSecret');

    expect(await dumpTables()).toEqual(after);
    const revocations = (await stores.audit.listByTarget(replaced.tokenId)).items.filter(
      (event) => event.action === 'token.revoked',
    );
    expect(revocations).toHaveLength(1);
    await expectInvariants(r.driver, secretId);
  });

  it('does not fail the rotation for a token revoked concurrently while it is swept', async () => {
    const r = rig();
    const { secretId, replaced } = await secretWithLostFinish(r);
    const admin = { actor: 'cli:alice', reason: 'leaked in a build log' };
    let revokedMidSweep = false;
    const driver = driverWith(r, (client) => {
      beforeWriteOf(client, hashToken(replaced.token), () => {
        revokedMidSweep = true;
        return stores.tokens.revoke(hashToken(replaced.token), admin);
      });
    });

    await driver.rotate(secretId);

    expect(revokedMidSweep).toBe(true);

    expect(await verify(replaced.token)).toMatchObject({
      allowed: false,
      reason: 'revoked',
      record: { revokeReason: admin.reason },
    });
    const events = (await stores.audit.listByTarget(replaced.tokenId)).items;
    expect(events.filter((event) => event.action === 'token.revoked')).toEqual([
      expect.objectContaining({ actor: admin.actor }),
    ]);
    await expectInvariants(driver, secretId);
  });

  it('leaves the pending token of a rotation in flight to it when a late finishSecret retry sweeps', async () => {
    const { driver } = rig();
    const secretId = await driver.createSecret(spec());
    const done = await driver.rotate(secretId);
    const inFlight = await driver.startRotation(secretId);
    for (const step of PRE_FINISH) await driver.step(secretId, inFlight, step);
    const pending = await driver.value(secretId, 'AWSPENDING', inFlight);

    await driver.step(secretId, done, 'finishSecret'); // a late duplicate of a finished step

    expect(await verify(pending.token ?? '')).toMatchObject({ allowed: false, reason: 'pending' });
    await driver.step(secretId, inFlight, 'finishSecret');
    await driver.endRotation(secretId, inFlight);
    expect((await tokenOf(driver, secretId, 'AWSCURRENT')).tokenId).toBe(pending.tokenId);
    await expectInvariants(driver, secretId);
  });

  it('activates, graces and sweeps when AWSCURRENT was moved by hand before finishSecret', async () => {
    const r = rig();
    const { secretId, replaced, lost } = await secretWithLostFinish(r);
    const previous = await tokenOf(r.driver, secretId, 'AWSCURRENT');
    const version = await r.driver.startRotation(secretId);
    for (const step of PRE_FINISH) await r.driver.step(secretId, version, step);
    const moved = await r.driver.value(secretId, 'AWSPENDING', version);
    await r.driver.client.send(
      new UpdateSecretVersionStageCommand({
        SecretId: secretId,
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: version,
        RemoveFromVersionId: lost,
      }),
    );
    expect(await verify(moved.token ?? '')).toMatchObject({ allowed: false, reason: 'pending' });

    await r.driver.step(secretId, version, 'finishSecret');
    await r.driver.endRotation(secretId, version);

    expect(await verify(moved.token ?? '')).toMatchObject({ allowed: true, inGrace: false });
    expect(await verify(previous.token)).toMatchObject({ allowed: true, inGrace: true });
    expect(await verify(replaced.token)).toMatchObject({ allowed: false, reason: 'revoked' });
    await expectInvariants(r.driver, secretId);
  });
});
