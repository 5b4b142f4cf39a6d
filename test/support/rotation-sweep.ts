/**
 * Helpers for the sweep tests: a finishSecret that fails after its stage move, and which of a
 * secret's tokens the authorizer's verification accepts.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { RotationDriver } from '../../local/aws/rotation-driver';
import type { Verdict } from '../../shared/token/verify';
import type { FaultInjector } from './fault-injector';

/**
 * Once the rotator's own UpdateSecretVersionStage has gone through, every later call of
 * `command` on its DynamoDB client is throttled (until `faults.reset()`): finishSecret fails
 * after the stage move, with DynamoDB's bookkeeping not done.
 */
export function failAfterStageMove(
  rig: { secrets: SecretsManagerClient; faults: FaultInjector },
  command = 'GetItemCommand',
): void {
  let armed = true;
  rig.secrets.middlewareStack.add(
    (next, context) => async (args) => {
      const out = await next(args);
      if (armed && context.commandName === 'UpdateSecretVersionStageCommand') {
        armed = false;
        rig.faults.block(command);
      }
      return out;
    },
    { step: 'initialize' },
  );
}

/** Run `before` once, just before the first TransactWriteItems that names `tokenHash`. */
export function beforeWriteOf(
  client: DynamoDBClient,
  tokenHash: string,
  before: () => Promise<unknown>,
): void {
  let armed = true;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const names = JSON.stringify(args.input).includes(tokenHash);
      if (armed && names && context.commandName === 'TransactWriteItemsCommand') {
        armed = false;
        await before();
      }
      return next(args);
    },
    { step: 'initialize' },
  );
}

/** The stages of every token of the secret that passes verification now, sorted. */
export async function verifyingStages(
  driver: RotationDriver,
  secretId: string,
  verify: (token: string) => Promise<Verdict>,
): Promise<string[]> {
  const valid: string[] = [];
  for (const { token, stages } of await driver.tokens(secretId)) {
    if ((await verify(token)).allowed) valid.push(stages.join('+') || '(no stage)');
  }
  return valid.sort();
}

/** The token a stage holds, or a failure naming the stage. */
export async function tokenOf(driver: RotationDriver, secretId: string, stage: string) {
  const value = await driver.value(secretId, stage);
  if (value.token === undefined || value.tokenId === undefined) throw new Error(`no ${stage}`);
  return { token: value.token, tokenId: value.tokenId };
}
