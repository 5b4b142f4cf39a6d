/**
 * Fault injection: for every step and every AWS call inside it, that call fails once
 * (throttled before it is sent, timed out after it took effect, or a spurious conditional-check
 * failure on a DynamoDB write) and Secrets Manager retries the step. After each run the
 * invariants hold and the next rotation succeeds.
 */
import { describe, expect, it } from 'vitest';
import { ROTATION_STEPS, type RotationStep } from '../../shared/rotation/rotator';
import { FAULT_KINDS, type FaultKind } from '../support/fault-injector';
import { useRotationRig } from '../support/rotation-rig';

const { ready, rig, spec, expectInvariants } = useRotationRig('faults');
const DYNAMO_WRITES = new Set(['TransactWriteItemsCommand', 'UpdateItemCommand', 'PutItemCommand']);

/** A secret already rotated once, so the rotation under test has a predecessor and an older one. */
async function preparedSecret(driver: ReturnType<typeof rig>['driver']) {
  const secretId = await driver.createSecret(spec());
  await driver.rotate(secretId);
  return secretId;
}

/** The AWS calls each step makes in a clean rotation, recorded by a dry run. */
async function callsPerStep(): Promise<Map<RotationStep, string[]>> {
  await ready();
  const { driver, faults } = rig();
  const secretId = await preparedSecret(driver);
  const version = await driver.startRotation(secretId);
  const calls = new Map<RotationStep, string[]>();
  for (const step of ROTATION_STEPS) {
    faults.reset();
    await driver.step(secretId, version, step);
    calls.set(step, [...faults.calls]);
  }
  return calls;
}

describe('rotation under injected faults', async () => {
  const plan = await callsPerStep();
  const scenarios: [RotationStep, number, string, FaultKind][] = [];
  for (const [step, calls] of plan) {
    calls.forEach((command, index) => {
      for (const kind of FAULT_KINDS) {
        if (kind === 'condition' && !DYNAMO_WRITES.has(command)) continue;
        scenarios.push([step, index, command, kind]);
      }
    });
  }

  it('covers every AWS call of every step', () => {
    for (const step of ROTATION_STEPS) expect(plan.get(step)?.length, step).toBeGreaterThan(0);
    expect(scenarios.length).toBeGreaterThan(30);
  });

  it.concurrent.each(scenarios)(
    '%s, call %i (%s) fails once with %s: retried, invariants hold, next rotation succeeds',
    async (step, index, command, kind) => {
      const { driver, faults } = rig();
      const secretId = await preparedSecret(driver);
      const version = await driver.startRotation(secretId);
      for (const current of ROTATION_STEPS) {
        faults.reset();
        if (current === step) faults.arm(index, kind);
        await driver.step(secretId, version, current, 3);
        if (current === step) expect(faults.fired).toEqual({ command, kind });
      }
      await driver.endRotation(secretId, version);
      expect((await driver.stages(secretId)).get(version)).toEqual(['AWSCURRENT']);
      await expectInvariants(driver, secretId);

      await driver.rotate(secretId);
      await expectInvariants(driver, secretId);
    },
  );
});
