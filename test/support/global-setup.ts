/**
 * Starts the emulators once for the integration project and hands their endpoints to the tests
 * (`inject('dynamoEndpoint')`). If one cannot start, the run fails with the reason; nothing is
 * skipped.
 */
import type { TestProject } from 'vitest/node';
import { buildApp } from '../../infra/app';
import { synthesizeBundles, type FunctionBundle } from '../../local/bundles';
import { startDynamoDbLocal } from '../../local/dynamodb-local';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
    /** The deployed Lambda bundles from `cdk synth`, keyed by function description. */
    bundles: Record<string, FunctionBundle>;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dynamo = await startDynamoDbLocal();
  project.provide('dynamoEndpoint', dynamo.endpoint);
  project.provide(
    'bundles',
    synthesizeBundles((app) => buildApp(app).stack),
  );
  return () => dynamo.stop();
}
