/**
 * The bundled rotation Lambda (the esbuild output `cdk synth` produces) rotating a secret on
 * moto with tokens on DynamoDB Local: what `cdk deploy` ships, end to end.
 */
import { describe, expect, inject, it } from 'vitest';
import { z } from 'zod';
import { loadHandler, type BundledHandler } from '../../local/aws/bundles';
import { LOCAL_AWS_ENV, localSecretsClient } from '../../local/aws/clients';
import { ROTATION_STEPS } from '../../shared/rotation/rotator';
import { findTokens } from '../../shared/token/format';
import { captureOutput } from '../support/capture-output';
import { lambdaContext } from '../../local/aws/lambda-context';
import { RotationDriver } from '../../local/aws/rotation-driver';
import { useRotationRig } from '../support/rotation-rig';

const { tables, spec, verify, expectInvariants } = useRotationRig('bundle');

describe('bundled rotation Lambda', () => {
  it('rotates a new secret and rotates it again, logging each step without a token', async () => {
    const bundle = inject('bundles')['Rotates service tokens held in Secrets Manager'];
    if (bundle === undefined) throw new Error('the synthesized stack has no rotation bundle');
    const client = localSecretsClient(inject('motoEndpoint'));
    const loaded: { handler?: BundledHandler } = {};
    const driver = new RotationDriver(client, (event) => {
      if (loaded.handler === undefined) throw new Error('handler not loaded');
      return loaded.handler(event, lambdaContext('token-rotation', event.ClientRequestToken));
    });
    // As after `cdk deploy`: the secret exists, and the function is configured for it.
    const secretId = await driver.createSecret(spec(), { rotateNow: false });
    loaded.handler = loadHandler(bundle, {
      ...LOCAL_AWS_ENV,
      TOKENS_TABLE_NAME: tables.tokens,
      AUDIT_TABLE_NAME: tables.audit,
      TOKEN_SPECS: driver.specsJson(),
      AWS_ENDPOINT_URL_DYNAMODB: inject('dynamoEndpoint'),
      AWS_ENDPOINT_URL_SECRETS_MANAGER: inject('motoEndpoint'),
    });
    const output = captureOutput();
    try {
      await driver.rotate(secretId);
      const first = await driver.value(secretId, 'AWSCURRENT');
      await driver.rotate(secretId);
      const second = await driver.value(secretId, 'AWSCURRENT');

      expect(second.tokenId).not.toBe(first.tokenId);
      for (const token of [first.token, second.token]) {
        if (token === undefined) throw new Error('no token');
        expect(await verify(token)).toMatchObject({ allowed: true });
      }
      await expectInvariants(driver, secretId);
    } finally {
      output.restore();
    }

    const logs = output.text();
    for (const step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret']) {
      expect(logs).toContain(`"step":"${step}"`);
    }
    expect(logs).toContain('"rotationVersionId"');
    expect(findTokens(logs)).toEqual([]);
    // Two rotations: each step succeeded twice, each rotation started and succeeded once.
    const emitted = output.lines
      .filter((line) => line.includes('"_aws"'))
      .map((line) => z.record(z.string(), z.unknown()).parse(JSON.parse(line)))
      .flatMap((emf) =>
        ['RotationStepSucceeded', 'RotationStarted', 'RotationSucceeded']
          .filter((name) => name in emf)
          .map((name) => `${name}{${String(emf['step'])}}`),
      );
    const count = (entry: string) => emitted.filter((e) => e === entry).length;
    for (const step of ROTATION_STEPS) expect(count(`RotationStepSucceeded{${step}}`)).toBe(2);
    expect(count('RotationStarted{createSecret}')).toBe(2);
    expect(count('RotationSucceeded{finishSecret}')).toBe(2);
    expect(emitted).toHaveLength(12);
  });
});
