/**
 * Starts the emulators once for the integration project and hands their endpoints to the tests
 * (`inject('dynamoEndpoint')`). If one cannot start, the run fails with the reason; nothing is
 * skipped.
 */
import type { TestProject } from 'vitest/node';
import { buildApp } from '../../infra/app';
import { synthesizeBundles, type FunctionBundle } from '../../local/aws/bundles';
import { startDynamoDbLocal } from '../../local/emulators/dynamodb-local';
import { startMoto } from '../../local/emulators/moto';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
    /** moto server: Secrets Manager, SNS, SQS, EventBridge. */
    motoEndpoint: string;
    /** The deployed Lambda bundles from `cdk synth`, keyed by function description. */
    bundles: Record<string, FunctionBundle>;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const [dynamo, moto] = await Promise.all([startDynamoDbLocal(), startMoto()]);
  project.provide('dynamoEndpoint', dynamo.endpoint);
  project.provide('motoEndpoint', moto.endpoint);
  project.provide(
    'bundles',
    synthesizeBundles((app) => buildApp(app).stack),
  );
  return async () => {
    await Promise.all([dynamo.stop(), moto.stop()]);
  };
}
