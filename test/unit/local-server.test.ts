/**
 * The local stack's HTTP listener: what it answers before the stack is ready, for oversized
 * bodies, for API Gateway's cache flush, and for the `/_local/` control commands (which only
 * accept JSON, so a web page cannot drive them cross-origin).
 */
import type { Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { authorizationHeaderPattern } from '../../infra/routes';
import { LocalGateway } from '../../local/gateway';
import { closeGracefully, ControlError, listen, type ControlHandler } from '../../local/server';

const gateway = new LocalGateway({
  catalog: [{ method: 'GET', path: '/orders', scopes: [] }],
  authorizer: () => Promise.reject(new Error('Unauthorized')),
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
  ready: LocalGateway | null = gateway,
) {
  const lines: string[] = [];
  const { server, url } = await listen(
    () => ready ?? undefined,
    { control: new Map(Object.entries(control)), onRequest: (line) => lines.push(line) },
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
  return { url, call, lines };
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

  it("serves API Gateway's FlushStageAuthorizersCache by flushing the gateway's cache", async () => {
    const { call } = await serve();
    expect(await call('DELETE', '/restapis/local/stages/v1/cache/authorizers')).toEqual({
      status: 202,
      body: { flushed: 0 },
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

  it('refuses a taken port with a message that names --port', async () => {
    const { url } = await serve();
    const port = Number(new URL(url).port);
    await expect(listen(() => gateway, { control: new Map() }, '127.0.0.1', port)).rejects.toThrow(
      `Port ${String(port)} on 127.0.0.1 is already in use (another local stack?). Stop that process or pick another port with --port.`,
    );
  });
});
