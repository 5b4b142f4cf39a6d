/** Run the `tokens` CLI in-process against the current test's DynamoDB Local tables. */
import { inject } from 'vitest';
import { runCli } from '../../cli/program';
import { LOCAL_AWS_ENV } from '../../local/aws/clients';
import type { DynamoFixture } from './dynamo';

export function cliRunner(dynamo: DynamoFixture, defaults: readonly string[] = []) {
  const env = {
    ...LOCAL_AWS_ENV,
    AWS_ENDPOINT_URL_DYNAMODB: inject('dynamoEndpoint'),
    TOKENS_TABLE_NAME: dynamo.tables().tokens,
    AUDIT_TABLE_NAME: dynamo.tables().audit,
    REGISTRY_TABLE_NAME: dynamo.tables().registry,
  };
  return async (...argv: string[]) => {
    let out = '';
    let err = '';
    // The SDK's credential chain reads the process environment.
    const saved = { ...process.env };
    Object.assign(process.env, env);
    try {
      const code = await runCli([...defaults, ...argv], {
        out: (text) => (out += text),
        err: (text) => (err += text),
        env,
      });
      return { code, out, err };
    } finally {
      for (const key of Object.keys(env)) {
        if (saved[key] === undefined) Reflect.deleteProperty(process.env, key);
        else process.env[key] = saved[key];
      }
    }
  };
}
