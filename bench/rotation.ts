/**
 * Rotation on the emulators (Secrets Manager on moto, tokens on DynamoDB Local): the AWS calls
 * each step makes, and the wall time of a whole rotation as Secrets Manager would run it.
 */
import { localDynamoClient, localSecretsClient } from '../local/aws/clients';
import { startDynamoDbLocal } from '../local/emulators/dynamodb-local';
import { startMoto } from '../local/emulators/moto';
import { RotationDriver } from '../local/aws/rotation-driver';
import { createTables } from '../local/emulators/tables';
import { ROTATION_STEPS, TokenRotator } from '../shared/rotation/rotator';
import type { SecretSpec } from '../shared/rotation/secret-value';
import { SecretsAdapter } from '../shared/rotation/secrets';
import { openStores } from '../shared/store';
import { FaultInjector } from '../test/support/fault-injector';
import type { BenchRow } from './report';

const ROTATIONS = 30;

export async function benchRotation(): Promise<BenchRow[]> {
  const [dynamo, moto] = await Promise.all([startDynamoDbLocal(), startMoto()]);
  const client = localDynamoClient(dynamo.endpoint);
  const secrets = localSecretsClient(moto.endpoint);
  try {
    const tables = { tokens: 'bench-rotation-tokens', audit: 'bench-rotation-audit' };
    await createTables(client, tables);
    // The injector is used only as a call counter here: nothing is armed.
    const calls = new FaultInjector();
    calls.attach(client);
    calls.attach(secrets);
    const specs = new Map<string, SecretSpec>();
    const rotator = new TokenRotator({
      secrets: new SecretsAdapter(secrets),
      stores: openStores({ client, tables }),
      graceMs: 7 * 86_400_000,
      specFor: (secretId) => specs.get(secretId),
    });
    const driver = new RotationDriver(
      localSecretsClient(moto.endpoint),
      (e) => rotator.run(e),
      specs,
    );
    const secretId = await driver.createSecret({
      name: 'bench',
      owner: 'bench',
      scopes: ['orders:read'],
    });
    await driver.rotate(secretId);

    // Calls per step are taken from the second rotation: the steady state on AWS. moto reports
    // every version as created "now", so createSecret's scan for abandoned versions reads all
    // old versions there; its count after all rotations is reported separately.
    const perStep = new Map<string, string[]>();
    let createCallsAtEnd = 0;
    const times: number[] = [];
    for (let i = 0; i < ROTATIONS; i++) {
      const started = performance.now();
      const version = await driver.startRotation(secretId);
      for (const step of ROTATION_STEPS) {
        calls.reset();
        await driver.step(secretId, version, step);
        if (i === 0) perStep.set(step, [...calls.calls]);
        if (step === 'createSecret') createCallsAtEnd = calls.calls.length;
      }
      await driver.endRotation(secretId, version);
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    const section = 'rotation';
    const rows: BenchRow[] = ROTATION_STEPS.map((step) => {
      const list = perStep.get(step) ?? [];
      const secretsCalls = list.filter((c) => !/Item|Query/.test(c)).length;
      return {
        section,
        name: `AWS calls in ${step}`,
        value: list.length,
        unit: 'calls',
        note: `${secretsCalls} Secrets Manager, ${list.length - secretsCalls} DynamoDB`,
      };
    });
    const at = (p: number) =>
      times[Math.min(times.length - 1, Math.floor(p * times.length))] ?? NaN;
    rows.push(
      {
        section,
        name: `AWS calls in createSecret after ${ROTATIONS + 2} rotations (moto)`,
        value: createCallsAtEnd,
        unit: 'calls',
        note: 'moto dates every version "now"',
      },
      {
        section,
        name: 'full rotation on the emulators (p50)',
        value: at(0.5),
        unit: 'ms',
        note: `${ROTATIONS} rotations, incl. RotateSecret`,
      },
      { section, name: 'full rotation on the emulators (p95)', value: at(0.95), unit: 'ms' },
    );
    return rows;
  } finally {
    client.destroy();
    secrets.destroy();
    await Promise.all([dynamo.stop(), moto.stop()]);
  }
}
