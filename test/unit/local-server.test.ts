/**
 * The local stack's HTTP listener: what it answers before the stack is ready, for oversized
 * bodies, for API Gateway's cache flush (only for this run's own SDK clients), and for the
 * `/_local/` control commands (only JSON, only addressed to a loopback name, never from a web
 * page of another origin, so neither a site nor a DNS-rebinding page can drive them).
 */
import { APIGatewayClient, FlushStageAuthorizersCacheCommand } from '@aws-sdk/client-api-gateway';
import { ApiGatewayV2Client, ResetAuthorizersCacheCommand } from '@aws-sdk/client-apigatewayv2';
import { flushTargetKey, type FlushTarget } from '../../local/aws/flush-targets';
import type { Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { authorizationHeaderPattern, GATEWAY_REPLIES } from '../../shared/gateway/contract';
import { LocalGateway } from '../../local/aws/gateway';
import {
  closeGracefully,
  ControlError,
  listen,
  type ControlHandler,
} from '../../local/stack/server';
import { allowPolicy } from '../../shared/authz/policy';
import type { Route } from '../../shared/authz/routes';
import { generateToken } from '../../shared/token/format';
import { sendRaw, type RawRequest } from '../support/local-stack';

const ORDERS: Route[] = [{ method: 'GET', path: '/orders', scopes: [] }];
const BEARER = `Bearer ${generateToken()}`;
const FLUSH = '/restapis/local/stages/v1/cache/authorizers';

/** A gateway whose authorizer allows a valid-looking token, so its policy lands in the cache. */
const newGateway = () =>
  new LocalGateway({
    catalog: ORDERS,
    authorizer: () =>
      Promise.resolve(
        allowPolicy('arn:aws:execute-api:us-east-1:123456789012:local/v1', 'tok_a', ORDERS, {}),
      ),
    integrations: new Map(),
    identityValidation: new RegExp(authorizationHeaderPattern('sk_')),
    cacheTtlMs: 60_000,
    restApiId: 'local',
    stage: 'v1',
  });
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => closeGracefully(server)));
});

async function serve(
  control: Record<string, ControlHandler> = {},
  ready: LocalGateway | null = newGateway(),
  flushTargets?: ReadonlyMap<string, FlushTarget>,
) {
  const lines: string[] = [];
  const { server, url, sdkEnv } = await listen(
    () => ready ?? undefined,
    {
      control: new Map(Object.entries(control)),
      onRequest: (line) => lines.push(line),
      ...(flushTargets === undefined ? {} : { flushTargets }),
    },
    '127.0.0.1',
    0,
  );
  servers.push(server);
  const call = async (method: string, path: string, body?: string, type = 'application/json') => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': type },
      ...(body === undefined ? {} : { body }),
    });
    return { status: response.status, body: await response.json() };
  };
  /** With any headers, `host` included. */
  const raw = (method: string, path: string, headers: RawRequest['headers'], body?: string) =>
    sendRaw(url, { method, path, headers, ...(body === undefined ? {} : { body }) });
  const port = Number(new URL(url).port);
  return { url, port, call, raw, lines, sdkEnv };
}

/** A control command that counts its runs. */
function counted() {
  const runs: unknown[] = [];
  const handler: ControlHandler = (body) => {
    runs.push(body);
    return Promise.resolve({ ran: true });
  };
  return { runs, handler };
}

describe('local server', () => {
  it('answers 503 while the stack is still starting', async () => {
    const { call } = await serve({}, null);
    expect(await call('GET', '/orders')).toEqual({
      status: 503,
      body: { message: 'The local stack is still starting' },
    });
  });

  it('refuses a body over 1 MiB with 413', async () => {
    const { call } = await serve();
    expect((await call('POST', '/orders', 'x'.repeat(1_048_577))).status).toBe(413);
  });

  describe("API Gateway's FlushStageAuthorizersCache", () => {
    it("flushes the gateway's cache for a caller with this run's session token", async () => {
      const { raw, sdkEnv } = await serve();
      const token = { 'x-amz-security-token': sdkEnv.AWS_SESSION_TOKEN };
      expect(await raw('DELETE', FLUSH, token)).toEqual({ status: 202, body: { flushed: 0 } });
    });

    it('refuses a flush without or with a wrong session token (403), and flushes nothing', async () => {
      const { raw, sdkEnv, lines } = await serve();
      const order = () => raw('GET', '/orders', { authorization: BEARER });
      expect((await order()).status).toBe(200);

      const refused: Record<string, string>[] = [
        {},
        { 'x-amz-security-token': '' },
        { 'x-amz-security-token': 'guessed' },
        { 'x-amz-security-token': `${sdkEnv.AWS_SESSION_TOKEN}x` },
        { 'x-amz-security-token': sdkEnv.AWS_SESSION_TOKEN.slice(1) },
      ];
      for (const headers of refused) {
        expect(await raw('DELETE', FLUSH, headers)).toEqual({
          status: 403,
          body: { message: 'The security token included in the request is invalid.' },
        });
      }
      expect((await order()).status).toBe(200);
      expect(lines.at(-1)).toMatch(/^GET \/orders → 200 in [\d.]+ ms \(authorizer cached\)$/);
    });

    it('refuses a flush addressed to another Host even with the token (421)', async () => {
      const { raw, sdkEnv } = await serve();
      const headers = { host: 'evil.example', 'x-amz-security-token': sdkEnv.AWS_SESSION_TOKEN };
      expect((await raw('DELETE', FLUSH, headers)).status).toBe(421);
    });

    it("serves the AWS SDK's call with this run's credentials, and refuses the emulators' well-known fake ones", async () => {
      const { sdkEnv } = await serve();
      const client = (sessionToken?: string) =>
        new APIGatewayClient({
          endpoint: sdkEnv.AWS_ENDPOINT_URL_API_GATEWAY,
          region: 'us-east-1',
          credentials: {
            accessKeyId: 'local',
            secretAccessKey: 'local',
            ...(sessionToken === undefined ? {} : { sessionToken }),
          },
        });
      const flush = new FlushStageAuthorizersCacheCommand({ restApiId: 'local', stageName: 'v1' });
      await expect(client(sdkEnv.AWS_SESSION_TOKEN).send(flush)).resolves.toMatchObject({
        $metadata: { httpStatusCode: 202 },
      });
      await expect(client().send(flush)).rejects.toMatchObject({
        name: 'UnrecognizedClientException',
        $metadata: { httpStatusCode: 403 },
      });
    });
  });

  describe('flush calls addressed per API and stage', () => {
    const credentials = (sessionToken: string) => ({
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local', sessionToken },
    });

    it('answers a flush of a stage it does not serve with NotFound, as API Gateway does', async () => {
      const { sdkEnv } = await serve();
      const rest = new APIGatewayClient({
        endpoint: sdkEnv.AWS_ENDPOINT_URL_API_GATEWAY,
        ...credentials(sdkEnv.AWS_SESSION_TOKEN),
      });
      await expect(
        rest.send(new FlushStageAuthorizersCacheCommand({ restApiId: 'gone', stageName: 'v1' })),
      ).rejects.toMatchObject({ name: 'NotFoundException', $metadata: { httpStatusCode: 404 } });
    });

    it("serves an HTTP API's ResetAuthorizersCache for its stage only, leaving the other stage's cache", async () => {
      const platform = newGateway();
      const consumer = { flushed: 0, flushCache: () => ++consumer.flushed };
      const targets = new Map<string, FlushTarget>([
        [flushTargetKey('rest', 'local', 'v1'), platform],
        [flushTargetKey('http', 'consumer1', '$default'), consumer],
      ]);
      const { sdkEnv, raw, lines } = await serve({}, platform, targets);
      const order = () => raw('GET', '/orders', { authorization: BEARER });
      await order();
      const http = new ApiGatewayV2Client({
        endpoint: sdkEnv.AWS_ENDPOINT_URL_APIGATEWAYV2,
        ...credentials(sdkEnv.AWS_SESSION_TOKEN),
      });
      await expect(
        http.send(new ResetAuthorizersCacheCommand({ ApiId: 'consumer1', StageName: '$default' })),
      ).resolves.toMatchObject({ $metadata: { httpStatusCode: 204 } });
      expect(consumer.flushed).toBe(1);
      await order();
      expect(lines.at(-1)).toMatch(/\(authorizer cached\)$/);
      await expect(
        http.send(new ResetAuthorizersCacheCommand({ ApiId: 'local', StageName: 'v1' })),
      ).rejects.toMatchObject({ name: 'NotFoundException' });
    });
  });

  describe('a consumer API on a listener of its own', () => {
    it('serves a consumer API alone on a listener without control commands: /_local/ and the flush path are its own paths (404 no route)', async () => {
      const lines: string[] = [];
      const { server, url } = await listen(
        newGateway,
        { onRequest: (line) => lines.push(line), label: '[orders/prod] ' },
        '127.0.0.1',
        0,
      );
      servers.push(server);
      const headers = { 'content-type': 'application/json' };
      for (const [method, path] of [
        ['GET', '/_local/info'],
        ['GET', '/_local/sdk-env'],
        ['POST', '/_local/rotate-now'],
        ['DELETE', FLUSH],
      ] as const) {
        const body = method === 'POST' ? '{}' : undefined;
        const answer = await sendRaw(url, { method, path, headers, ...(body ? { body } : {}) });
        expect(answer, `${method} ${path}`).toEqual({
          status: 404,
          body: { message: GATEWAY_REPLIES.noRoute.message },
        });
      }
      const order = await sendRaw(url, {
        method: 'GET',
        path: '/orders',
        headers: { authorization: BEARER },
      });
      expect(order.status).toBe(200);
      expect(lines.at(-1)).toMatch(
        /^\[orders\/prod\] GET \/orders → 200 in [\d.]+ ms \(authorizer called\)$/,
      );
    });

    it('names the option that picks a taken port', async () => {
      const { port } = await serve();
      await expect(
        listen(newGateway, { portOption: '--orders-port' }, '127.0.0.1', port),
      ).rejects.toThrow('pick another port with --orders-port.');
    });
  });

  it('logs one line per API request with its status, never the query string', async () => {
    const { call, lines } = await serve();
    await call('GET', '/orders?secret=value');
    expect(lines).toEqual([expect.stringMatching(/^GET \/orders → 401 in [\d.]+ ms$/)]);
  });

  describe('control commands', () => {
    it('runs a command and answers its JSON', async () => {
      const { call } = await serve({ 'POST /_local/echo': (body) => Promise.resolve({ body }) });
      expect(await call('POST', '/_local/echo', '{"a":1}')).toEqual({
        status: 200,
        body: { body: { a: 1 } },
      });
    });

    it('answers 404 for an unknown command and 415 for a body that is not JSON-typed', async () => {
      const { call } = await serve({ 'POST /_local/echo': () => Promise.resolve({}) });
      expect((await call('POST', '/_local/nothing', '{}')).status).toBe(404);
      expect((await call('POST', '/_local/echo', '{}', 'text/plain')).status).toBe(415);
      expect((await call('POST', '/_local/echo', '{not json')).status).toBe(400);
    });

    it("passes a command's refusal through, and hides an unexpected failure behind a 500", async () => {
      const { call, lines } = await serve({
        'POST /_local/busy': () => Promise.reject(new ControlError(409, 'already rotating')),
        'POST /_local/broken': () => Promise.reject(new Error('internal detail')),
      });
      expect(await call('POST', '/_local/busy', '{}')).toEqual({
        status: 409,
        body: { message: 'already rotating' },
      });
      const broken = await call('POST', '/_local/broken', '{}');
      expect(broken.status).toBe(500);
      expect(JSON.stringify(broken.body)).not.toContain('internal detail');
      expect(lines.join('\n')).toContain('internal detail');
    });
  });

  describe('control plane: only tools on this machine, never a web page', () => {
    const REBOUND = (port: number) => [
      'evil.example',
      `evil.example:${String(port)}`,
      '127.0.0.1.evil.example',
      'localhost.evil.example',
      '',
    ];

    it('refuses a command addressed to another Host (DNS rebinding) with 421, and runs nothing', async () => {
      const { runs, handler } = counted();
      const { raw, port, lines } = await serve({
        'POST /_local/rotate-now': handler,
        'GET /_local/info': handler,
      });
      for (const host of REBOUND(port)) {
        const headers = { host, 'content-type': 'application/json' };
        const rotate = await raw('POST', '/_local/rotate-now', headers, '{}');
        expect(rotate.status).toBe(421);
        expect(JSON.stringify(rotate.body)).toContain('only requests addressed to localhost');
        expect((await raw('GET', '/_local/info', headers)).status).toBe(421);
      }
      // Node itself refuses an HTTP/1.1 request with no Host at all.
      expect((await raw('GET', '/_local/info', { host: null })).status).toBe(400);
      expect(runs).toEqual([]);
      expect(lines[0]).toMatch(/^Refused POST \/_local\/rotate-now: .* only requests addressed to/);
    });

    it('refuses a command from a web page of another origin with 403, and runs nothing', async () => {
      const { runs, handler } = counted();
      const { raw } = await serve({ 'POST /_local/rotate-now': handler });
      const browsers: Record<string, string>[] = [
        { origin: 'http://evil.example' },
        { origin: 'null' },
        { origin: 'http://localhost:5173' },
        { 'sec-fetch-site': 'cross-site' },
      ];
      for (const browser of browsers) {
        const headers = { 'content-type': 'application/json', ...browser };
        expect((await raw('POST', '/_local/rotate-now', headers, '{}')).status).toBe(403);
      }
      expect(runs).toEqual([]);
    });

    it("runs a command addressed to localhost, 127.0.0.1 or [::1], with the server's port or none", async () => {
      const { runs, handler } = counted();
      const { raw, port } = await serve({ 'GET /_local/info': handler });
      const names = ['localhost', '127.0.0.1', '[::1]'];
      for (const host of names.flatMap((name) => [name, `${name}:${String(port)}`])) {
        expect(await raw('GET', '/_local/info', { host })).toEqual({
          status: 200,
          body: { ran: true },
        });
      }
      expect(runs).toHaveLength(6);
    });

    it('hands npm run local the SDK environment of this run, a fresh session token per run', async () => {
      const first = await serve();
      const second = await serve();
      expect(await first.call('GET', '/_local/sdk-env')).toEqual({
        status: 200,
        body: first.sdkEnv,
      });
      expect(first.sdkEnv.AWS_ENDPOINT_URL_API_GATEWAY).toBe(first.url);
      expect(first.sdkEnv.AWS_SESSION_TOKEN).toMatch(/^[\w-]{43}$/);
      expect(second.sdkEnv.AWS_SESSION_TOKEN).not.toBe(first.sdkEnv.AWS_SESSION_TOKEN);
    });

    it('keeps the rest of the API reachable under any Host, as a service in a container calls it', async () => {
      const { raw } = await serve();
      const health = await raw('GET', '/health', { host: 'host.docker.internal:3000' });
      expect(health).toEqual({ status: 200, body: { status: 'ok' } });
    });
  });

  it('refuses a taken port with a message that names --port', async () => {
    const { url } = await serve();
    const port = Number(new URL(url).port);
    await expect(listen(newGateway, { control: new Map() }, '127.0.0.1', port)).rejects.toThrow(
      `Port ${String(port)} on 127.0.0.1 is already in use (another local stack?). Stop that process or pick another port with --port.`,
    );
  });
});
