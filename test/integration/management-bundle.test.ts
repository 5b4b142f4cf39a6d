/**
 * The bundled management Lambda (the esbuild output `cdk synth` produces) serving API Gateway
 * proxy events against DynamoDB Local: what `cdk deploy` ships.
 */
import { describe, expect, inject, it } from 'vitest';
import { z } from 'zod';
import { loadHandler } from '../../local/aws/bundles';
import { LOCAL_AWS_ENV } from '../../local/aws/clients';
import { findTokens } from '../../shared/token/format';
import { proxyEvent } from '../support/api';
import { captureOutput } from '../support/capture-output';
import { useDynamo } from '../support/dynamo';
import { lambdaContext } from '../../local/aws/lambda-context';
import { newTestToken } from '../support/tokens';

const dynamo = useDynamo();
const responseSchema = z.object({ statusCode: z.number(), body: z.string() });

describe('bundled management Lambda', () => {
  it('issues a token once, shows it without the plaintext, and logs neither', async () => {
    const bundle = inject('bundles')['Serves the service-token management API'];
    if (bundle === undefined) throw new Error('the synthesized stack has no management bundle');
    const stores = dynamo.stores();
    const { input } = newTestToken({ owner: 'team-a', scopes: ['tokens:write', 'tokens:read'] });
    await stores.tokens.create(input, { actor: 'test:setup' });
    const caller = { tokenId: input.tokenId, owner: 'team-a', scopes: [...input.scopes] };
    const handler = loadHandler(bundle, {
      ...LOCAL_AWS_ENV,
      TOKENS_TABLE_NAME: dynamo.tables().tokens,
      AUDIT_TABLE_NAME: dynamo.tables().audit,
      REGISTRY_TABLE_NAME: dynamo.tables().registry,
      AWS_ENDPOINT_URL_DYNAMODB: inject('dynamoEndpoint'),
    });
    const output = captureOutput();
    let created, shown, refused;
    try {
      const call = async (method: string, path: string, body?: unknown) =>
        responseSchema.parse(
          await handler(proxyEvent(method, path, caller, { body }), lambdaContext('management')),
        );
      created = await call('POST', '/tokens', {
        name: 'ci',
        scopes: ['tokens:read'],
        expiresInDays: 30,
      });
      const { token, tokenId } = z
        .object({ token: z.string(), tokenId: z.string() })
        .parse(JSON.parse(created.body));
      shown = await call('GET', `/tokens/${tokenId}`);
      refused = await call('POST', '/tokens', { name: 'ci', scopes: ['admin'] });
      expect(shown.body).not.toContain(token);
      expect(output.text()).not.toContain(token);
    } finally {
      output.restore();
    }
    expect(created.statusCode).toBe(201);
    expect(shown.statusCode).toBe(200);
    expect(refused.statusCode).toBe(403);
    const logs = output.text();
    expect(logs).toContain('"route":"POST /tokens"');
    expect(logs).toContain('"status":201');
    expect(logs).toContain('"ApiRequests"');
    // Each line carries the API Gateway request id as its correlation id.
    expect(logs).toMatch(/"correlation_id":"[0-9a-f-]{36}"/);
    expect(findTokens(logs)).toEqual([]);
  });
});
