/**
 * Run the `tokens` CLI in-process with `--direct` against the current test's DynamoDB Local
 * tables; moto answers STS GetCallerIdentity, the operator's identity.
 */
import { inject } from 'vitest';
import { runCli } from '../../cli/program';
import { LOCAL_AWS_ENV } from '../../local/aws/clients';
import type { DynamoFixture } from './dynamo';

export function cliRunner(dynamo: DynamoFixture, defaults: readonly string[] = []) {
  const env = {
    ...LOCAL_AWS_ENV,
    AWS_ENDPOINT_URL_DYNAMODB: inject('dynamoEndpoint'),
    AWS_ENDPOINT_URL_STS: inject('motoEndpoint'),
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
      const code = await runCli(['--direct', ...defaults, ...argv], {
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

/**
 * Run the `tokens` CLI in-process over HTTP, as a team does: `env` holds its credentials file
 * (`SERVICE_TOKENS_CONFIG`) or `SERVICE_TOKENS_URL`/`_TOKEN`; `secret` is what login reads.
 */
export function remoteCliRunner(env: Readonly<Record<string, string>>) {
  return async (argv: readonly string[], secret?: string) => {
    let out = '';
    let err = '';
    const code = await runCli(argv, {
      out: (text) => (out += text),
      err: (text) => (err += text),
      env,
      ...(secret === undefined ? {} : { readSecret: () => Promise.resolve(`${secret}\n`) }),
    });
    return { code, out, err };
  };
}
