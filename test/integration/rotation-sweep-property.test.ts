/**
 * Property: over any sequence of rotations of one secret, with faults at random steps (a
 * finishSecret failing before or after its stage move, retried or never, abandoned rotations,
 * a crash between activation and stage move, duplicate steps), after every successful
 * finishSecret the tokens that verify are among those of AWSCURRENT and AWSPREVIOUS.
 * Bounded (few runs, short sequences) so it runs in seconds on the emulators.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ROTATION_STEPS } from '../../shared/rotation/rotator';
import { hashToken } from '../../shared/token/format';
import { useRotationRig } from '../support/rotation-rig';
import { failAfterStageMove, verifyingStages } from '../support/rotation-sweep';

const { stores, rig, spec, verify, expectInvariants } = useRotationRig('sweepprop');

type Rig = ReturnType<typeof rig>;
const PRE_FINISH = ['createSecret', 'setSecret', 'testSecret'] as const;

type Rotation =
  | { kind: 'clean' }
  | { kind: 'every step twice' }
  | { kind: 'finish fails after the stage move'; failing: string; retried: boolean }
  | { kind: 'finish fails before the stage move, then abandoned' }
  | { kind: 'abandoned'; steps: number }
  | { kind: 'crash between activation and stage move' };

const rotation: fc.Arbitrary<Rotation> = fc.oneof(
  fc.constant({ kind: 'clean' as const }),
  fc.constant({ kind: 'every step twice' as const }),
  fc.record({
    kind: fc.constant('finish fails after the stage move' as const),
    failing: fc.constantFrom('GetItemCommand', 'TransactWriteItemsCommand', 'QueryCommand'),
    retried: fc.boolean(),
  }),
  fc.constant({ kind: 'finish fails before the stage move, then abandoned' as const }),
  fc.record({ kind: fc.constant('abandoned' as const), steps: fc.integer({ min: 1, max: 3 }) }),
  fc.constant({ kind: 'crash between activation and stage move' as const }),
);

/** Plays one rotation; true when a finishSecret of it succeeded. */
async function play(r: Rig, secretId: string, plan: Rotation): Promise<boolean> {
  const { driver, faults } = r;
  const version = await driver.startRotation(secretId);
  const steps = plan.kind === 'abandoned' ? PRE_FINISH.slice(0, plan.steps) : PRE_FINISH;
  for (const step of steps) {
    await driver.step(secretId, version, step);
    if (plan.kind === 'every step twice') await driver.step(secretId, version, step);
  }
  let finished = false;
  if (plan.kind === 'clean' || plan.kind === 'every step twice') {
    await driver.step(secretId, version, 'finishSecret');
    if (plan.kind === 'every step twice') await driver.step(secretId, version, 'finishSecret');
    finished = true;
  } else if (plan.kind === 'finish fails after the stage move') {
    failAfterStageMove(r, plan.failing);
    // The failing command may not be called after the move (nothing left to write): then the
    // step succeeds, and the property must hold all the same.
    finished = await driver.step(secretId, version, 'finishSecret').then(
      () => true,
      () => false,
    );
    faults.reset();
    if (!finished && plan.retried) await driver.step(secretId, version, 'finishSecret');
    finished ||= plan.retried;
  } else if (plan.kind === 'finish fails before the stage move, then abandoned') {
    faults.block('UpdateSecretVersionStageCommand');
    await expect(driver.step(secretId, version, 'finishSecret')).rejects.toThrow();
    faults.reset();
  } else if (plan.kind === 'crash between activation and stage move') {
    const pending = await driver.value(secretId, 'AWSPENDING', version);
    await stores.rotations.activateSuccessor(hashToken(pending.token ?? ''), {}, { actor: 'test' });
  }
  await driver.endRotation(secretId, version); // done, given up, or removed by hand
  return finished;
}

async function expectOnlyCurrentAndPrevious(r: Rig, secretId: string, history: string) {
  const valid = await verifyingStages(r.driver, secretId, verify);
  expect(valid, history).toContain('AWSCURRENT');
  for (const stages of valid) expect(['AWSCURRENT', 'AWSPREVIOUS'], history).toContain(stages);
  await expectInvariants(r.driver, secretId);
}

describe('rotation sequences with faults', () => {
  it('after every successful finishSecret only AWSCURRENT and AWSPREVIOUS verify', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(rotation, { minLength: 2, maxLength: 4 }), async (plans) => {
        const r = rig();
        const secretId = await r.driver.createSecret(spec());
        const history: string[] = [];
        for (const plan of plans) {
          const finished = await play(r, secretId, plan);
          history.push(JSON.stringify(plan));
          if (finished) await expectOnlyCurrentAndPrevious(r, secretId, history.join(' → '));
        }
        await r.driver.rotate(secretId);
        await expectOnlyCurrentAndPrevious(r, secretId, [...history, 'clean'].join(' → '));
      }),
      { numRuns: 5, endOnFailure: true },
    );
  }, 180_000);

  it('plays every kind of rotation it draws from', () => {
    const kinds = new Set(fc.sample(rotation, 200).map((plan) => plan.kind));
    expect(kinds.size).toBe(6);
    expect(ROTATION_STEPS).toEqual([...PRE_FINISH, 'finishSecret']);
  });
});
