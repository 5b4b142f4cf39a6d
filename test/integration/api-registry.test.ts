/**
 * The registration provider against DynamoDB Local, driven with CloudFormation's requests:
 * create, update, replacement, delete, retries, refusals; and its answer PUT to the response
 * URL. Each test's registry starts with the example API (test/support/registry.ts).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  callerAccount,
  isCloudFormationResponseUrl,
  registrationResponse,
  type CustomResourceEvent,
} from '../../shared/registry/custom-resource';
import { sendResponse } from '../../shared/registry/respond';
import { openApiRegistry } from '../../shared/store/api-registry';
import { useDynamo } from '../support/dynamo';
import { EXAMPLE_API } from '../support/registry';

const dynamo = useDynamo();
const STACK = 'arn:aws:cloudformation:eu-west-1:222222222222:stack/billing/6f1c';
const CATALOG = [
  { method: 'GET', path: '/invoices', scopes: ['billing:read'] },
  { method: 'POST', path: '/invoices', scopes: ['billing:write'] },
];
const PROPERTIES = {
  ServiceToken: 'arn:aws:lambda:eu-west-1:111111111111:function:registry',
  ApiId: 'b1ll1ng000',
  Kind: 'rest',
  Stages: ['prod'],
  Region: 'eu-west-1',
  Account: '222222222222',
  Catalog: JSON.stringify(CATALOG),
};
const KEY = '222222222222/eu-west-1/rest/b1ll1ng000';
/** The account that invokes the provider (its alias `consumer-222222222222`). */
const CALLER = '222222222222';

function request(
  type: 'Create' | 'Update' | 'Delete',
  properties: Record<string, unknown> = PROPERTIES,
  extra: { PhysicalResourceId?: string; LogicalResourceId?: string; StackId?: string } = {},
): CustomResourceEvent {
  const common = {
    ResponseURL: 'https://cloudformation-custom-resource-response.s3.amazonaws.com/x',
    StackId: extra.StackId ?? STACK,
    RequestId: 'req-1',
    LogicalResourceId: extra.LogicalResourceId ?? 'Registration',
    ResourceType: 'Custom::ServiceTokensApiRegistration',
    ResourceProperties: properties,
  };
  if (type === 'Create') return { RequestType: 'Create', ...common };
  const PhysicalResourceId = extra.PhysicalResourceId ?? KEY;
  return type === 'Update'
    ? { RequestType: 'Update', PhysicalResourceId, ...common }
    : { RequestType: 'Delete', PhysicalResourceId, ...common };
}

const registry = () => dynamo.stores().apis;
const keys = async () => (await registry().list()).items.map((api) => api.apiKey);

describe('the registration provider', () => {
  it('registers the API on Create: its key is the physical id, its catalog and scopes stored', async () => {
    const answer = await registrationResponse(request('Create'), registry(), CALLER);

    expect(answer).toEqual({
      Status: 'SUCCESS',
      PhysicalResourceId: KEY,
      StackId: STACK,
      RequestId: 'req-1',
      LogicalResourceId: 'Registration',
      Data: { ApiKey: KEY },
    });
    const [api] = (await registry().list()).items.filter((item) => item.apiKey === KEY);
    expect(api).toMatchObject({
      apiId: 'b1ll1ng000',
      kind: 'rest',
      stages: ['prod'],
      routes: CATALOG,
      scopes: ['billing:read', 'billing:write'],
      registeredBy: `${STACK}/Registration`,
    });
  });

  it('answers a retried Create the same, with still one item', async () => {
    const first = await registrationResponse(request('Create'), registry(), CALLER);
    const again = await registrationResponse(request('Create'), registry(), CALLER);

    expect(again).toEqual(first);
    expect((await keys()).filter((key) => key === KEY)).toHaveLength(1);
  });

  it('rewrites the item on an Update of the same API (stages, catalog), keeping the physical id', async () => {
    await registrationResponse(request('Create'), registry(), CALLER);
    const update = {
      ...PROPERTIES,
      Stages: ['prod', 'canary'],
      Catalog: JSON.stringify([CATALOG[0]]),
    };

    const answer = await registrationResponse(request('Update', update), registry(), CALLER);

    expect(answer).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: KEY });
    const stages = await registry().listStages();
    expect(stages.filter((s) => s.apiId === 'b1ll1ng000').map((s) => s.stage)).toEqual([
      'prod',
      'canary',
    ]);
    expect((await registry().knownScopes()).scopes.has('billing:write')).toBe(false);
  });

  it('replaces cleanly when an Update names another API: new id, and the old one deleted after', async () => {
    await registrationResponse(request('Create'), registry(), CALLER);
    const moved = { ...PROPERTIES, ApiId: 'n3wap10000' };

    const answer = await registrationResponse(request('Update', moved), registry(), CALLER);
    // CloudFormation then deletes the old physical id.
    const cleanup = await registrationResponse(
      request('Delete', PROPERTIES, { PhysicalResourceId: KEY }),
      registry(),
      CALLER,
    );

    expect(answer).toMatchObject({
      Status: 'SUCCESS',
      PhysicalResourceId: '222222222222/eu-west-1/rest/n3wap10000',
    });
    expect(cleanup.Status).toBe('SUCCESS');
    expect((await keys()).sort()).toEqual(
      [
        '222222222222/eu-west-1/rest/n3wap10000',
        `123456789012/us-east-1/rest/${EXAMPLE_API.apiId}`,
      ].sort(),
    );
  });

  it('removes the item on Delete, and a repeated Delete still succeeds', async () => {
    await registrationResponse(request('Create'), registry(), CALLER);

    const deleted = await registrationResponse(request('Delete'), registry(), CALLER);
    const again = await registrationResponse(request('Delete'), registry(), CALLER);

    expect([deleted.Status, again.Status]).toEqual(['SUCCESS', 'SUCCESS']);
    expect(await keys()).not.toContain(KEY);
  });

  it('leaves a registration alone that another stack made since (its Delete is a no-op)', async () => {
    await registrationResponse(request('Create'), registry(), CALLER);
    const otherStack = 'arn:aws:cloudformation:eu-west-1:222222222222:stack/billing-v2/7a2d';
    await registrationResponse(
      request('Create', PROPERTIES, { StackId: otherStack }),
      registry(),
      CALLER,
    );

    const answer = await registrationResponse(request('Delete'), registry(), CALLER);

    expect(answer.Status).toBe('SUCCESS');
    const [api] = (await registry().list()).items.filter((item) => item.apiKey === KEY);
    expect(api?.registeredBy).toBe(`${otherStack}/Registration`);
  });

  it.each([
    [{ Kind: 'soap' }, /^Invalid properties: kind: must be "rest" or "http"$/],
    [
      { Catalog: 'not json' },
      /^Invalid Catalog: Catalog: Invalid input; the Catalog is a non-empty JSON list of \{ method, path, scopes \}/,
    ],
    [{ Catalog: '[]' }, /^Invalid Catalog: Catalog: Invalid input; the Catalog is/],
    [
      {
        Catalog: JSON.stringify([
          { method: 'GET', path: '/a/{id}', scopes: ['a:read'] },
          { method: 'GET', path: '/a/{id}/secret', scopes: ['a:admin'] },
        ]),
      },
      /^Invalid Catalog: .*GET \/a\/\{id\}/,
    ],
    [
      { Catalog: JSON.stringify([{ method: 'GET', path: '/a', scopes: ['Bad Scope'] }]) },
      /^Invalid Catalog: 0\.scopes\.0/,
    ],
    [{ Stages: [] }, /^Invalid properties: stages: must name at least one stage/],
    [{ ApiId: 'NOT-AN-ID' }, /^Invalid properties: apiId: must be an API Gateway API id/],
    [{ Account: '333333333333' }, /must be the registering stack's \(222222222222, eu-west-1\)$/],
    [{ Stages: 'prod' }, /^Invalid properties: Stages: must be a list of stage names$/],
  ])('refuses %j with FAILED and a reason, writing nothing', async (change, reason) => {
    const answer = await registrationResponse(
      request('Create', { ...PROPERTIES, ...change }),
      registry(),
      CALLER,
    );

    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toMatch(reason);
    expect(answer.Reason).not.toMatch(/\n\s+at /);
    expect(await keys()).not.toContain(KEY);
    // The stack's rollback deletes what it thinks was created: that must succeed.
    const rollback = await registrationResponse(
      request('Delete', PROPERTIES, { PhysicalResourceId: answer.PhysicalResourceId }),
      registry(),
      CALLER,
    );
    expect(rollback.Status).toBe('SUCCESS');
  });

  it('keeps the old physical id on a refused Update, so the rollback restores the old item', async () => {
    await registrationResponse(request('Create'), registry(), CALLER);

    const answer = await registrationResponse(
      request('Update', { ...PROPERTIES, Kind: 'soap' }),
      registry(),
      CALLER,
    );

    expect(answer).toMatchObject({ Status: 'FAILED', PhysicalResourceId: KEY });
    expect(await keys()).toContain(KEY);
  });

  it('answers FAILED with the store’s reason when DynamoDB fails, never a stack trace', async () => {
    const missing = openApiRegistry({ client: dynamo.client, tableName: 'no-such-table' });

    const answer = await registrationResponse(request('Create'), missing, CALLER);

    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toBe(
      "Could not register the API: DynamoDB register failed: ResourceNotFoundException (request req-1; see the provider's logs)",
    );
  });
});

describe('who may register what', () => {
  it('refuses an API of another account than the invoking one, and its removal: a consumer account cannot overwrite or deregister another team', async () => {
    await registrationResponse(request('Create'), registry(), CALLER);
    const forged = { ...PROPERTIES, Account: '333333333333' };
    const stack333 = 'arn:aws:cloudformation:eu-west-1:333333333333:stack/victim/0000';
    const overwrite = await registrationResponse(
      request('Create', forged, { StackId: stack333 }),
      registry(),
      CALLER,
    );
    expect(overwrite.Status).toBe('FAILED');
    expect(overwrite.Reason).toContain('must be the account that invokes the registry');
    const victim = '333333333333/eu-west-1/rest/b1ll1ng000';
    const removal = await registrationResponse(
      request('Delete', PROPERTIES, { PhysicalResourceId: victim }),
      registry(),
      CALLER,
    );
    expect(removal).toMatchObject({ Status: 'FAILED' });
    expect(removal.Reason).toBe(`The API ${victim} is not registered by the calling account`);
    expect(await keys()).toContain(KEY);
  });

  it('knows the caller from the invoked ARN only: its own account unqualified, a consumer by its alias', () => {
    const fn = 'arn:aws:lambda:eu-west-1:111111111111:function:registry';
    expect(callerAccount(fn)).toBe('111111111111');
    expect(callerAccount(`${fn}:$LATEST`)).toBe('111111111111');
    expect(callerAccount(`${fn}:consumer-222222222222`)).toBe('222222222222');
    expect(callerAccount(`${fn}:live`)).toBeUndefined();
  });

  it('answers only to a CloudFormation response URL: https on its S3 buckets', () => {
    for (const url of [
      'https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/arn%3A/x?X-Amz-Signature=1',
      'https://cloudformation-custom-resource-response-uswest2.s3-us-west-2.amazonaws.com/x',
      'https://cloudformation-custom-resource-response-euwest1.s3.eu-west-1.amazonaws.com/x',
    ]) {
      expect(isCloudFormationResponseUrl(url), url).toBe(true);
    }
    for (const url of [
      'http://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x',
      'http://169.254.169.254/latest/meta-data/',
      'https://127.0.0.1:9001/x',
      'https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com.evil.example/x',
      'https://evil.example/cloudformation-custom-resource-response.s3.amazonaws.com',
      'https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com:8443/x',
      'file:///etc/passwd',
    ]) {
      expect(isCloudFormationResponseUrl(url), url).toBe(false);
    }
  });
});

describe('the registry listings', () => {
  it('pages through the APIs in key order, and refuses a forged cursor', async () => {
    for (const apiId of ['aaaa000001', 'aaaa000002', 'aaaa000003']) {
      await registrationResponse(
        request('Create', { ...PROPERTIES, ApiId: apiId }),
        registry(),
        CALLER,
      );
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await registry().list({ limit: 2, cursor });
      seen.push(...page.items.map((api) => api.apiId));
      cursor = page.cursor;
    } while (cursor !== undefined);

    expect(seen).toEqual([EXAMPLE_API.apiId, 'aaaa000001', 'aaaa000002', 'aaaa000003']);
    const forged = Buffer.from(JSON.stringify({ registry: 'api', apiKey: 'x' })).toString(
      'base64url',
    );
    await expect(registry().list({ cursor: forged })).rejects.toMatchObject({
      code: 'invalid-cursor',
    });
  });

  it('lists every protected stage for the cache flusher', async () => {
    await registrationResponse(
      request('Create', { ...PROPERTIES, Stages: ['prod', 'canary'] }),
      registry(),
      CALLER,
    );

    expect(await registry().listStages()).toEqual([
      {
        apiId: EXAMPLE_API.apiId,
        kind: 'rest',
        region: 'us-east-1',
        account: '123456789012',
        stage: 'prod',
      },
      {
        apiId: 'b1ll1ng000',
        kind: 'rest',
        region: 'eu-west-1',
        account: '222222222222',
        stage: 'prod',
      },
      {
        apiId: 'b1ll1ng000',
        kind: 'rest',
        region: 'eu-west-1',
        account: '222222222222',
        stage: 'canary',
      },
    ]);
  });
});

describe("answering CloudFormation's response URL", () => {
  const received: { method?: string; contentType?: string; body: string }[] = [];
  let status = 200;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      received.push({ method: req.method, contentType: req.headers['content-type'], body });
      res.statusCode = status;
      res.end();
    });
  });
  let url = '';
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}/response`;
  });
  afterAll(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      }),
  );

  it('PUTs the answer as JSON with an empty content type', async () => {
    received.length = 0;
    status = 200;
    const answer = await registrationResponse(request('Create'), registry(), CALLER);

    await sendResponse(url, answer);

    expect(received).toEqual([{ method: 'PUT', contentType: '', body: JSON.stringify(answer) }]);
  });

  it('retries a 5xx, and gives up at once on a 4xx', async () => {
    received.length = 0;
    status = 503;
    const answer = await registrationResponse(request('Delete'), registry(), CALLER);
    await expect(sendResponse(url, answer)).rejects.toThrow(/attempt 3\): HTTP 503/);
    expect(received).toHaveLength(3);

    received.length = 0;
    status = 403;
    await expect(sendResponse(url, answer)).rejects.toThrow(/attempt 1\): HTTP 403/);
    expect(received).toHaveLength(1);
  });
});
