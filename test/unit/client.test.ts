/**
 * The typed client: its operations are the OpenAPI document's and the server's routes, it
 * retries what the API says to retry, and every failure is a ServiceTokensError with the
 * API's own message and never the token.
 */
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { OPERATIONS, ServiceTokensClient, ServiceTokensError } from '../../client';
import { retryAfterSeconds } from '../../client/http';
import { OPENAPI_PATH } from '../../scripts/openapi';
import { ROUTES } from '../../shared/api/routes';
import { generateToken } from '../../shared/token/format';

const TOKEN = generateToken();
const BASE = 'https://api.example.com/v1';
const ME = {
  tokenId: 'tok_0123456789abcdef',
  name: 'ci',
  owner: 'team-a',
  scopes: ['tokens:read'],
  admin: false,
  expiresAt: '2027-01-01T00:00:00.000Z',
};

interface Sent {
  readonly url: string;
  readonly init: RequestInit | undefined;
}

/** A fetch that answers `replies` in turn and records what it was sent. */
function fakeFetch(replies: (() => Response)[]) {
  const sent: Sent[] = [];
  const fetch: typeof globalThis.fetch = (url, init) => {
    sent.push({ url: url instanceof Request ? url.url : url.toString(), init });
    const next = replies.shift();
    if (next === undefined) throw new Error('no more replies');
    return Promise.resolve(next());
  };
  return { fetch, sent };
}

const json =
  (status: number, body: unknown, headers: Record<string, string> = {}) =>
  () =>
    new Response(JSON.stringify(body), {
      status,
      headers: { 'content-type': 'application/json', ...headers },
    });

function client(replies: (() => Response)[], slept: number[] = []) {
  const { fetch, sent } = fakeFetch(replies);
  const sleep = (ms: number) => {
    slept.push(ms);
    return Promise.resolve();
  };
  return {
    api: new ServiceTokensClient({ baseUrl: `${BASE}/`, token: TOKEN, fetch, sleep }),
    sent,
  };
}

async function failure(promise: Promise<unknown>): Promise<ServiceTokensError> {
  const error: unknown = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof ServiceTokensError)) throw new Error('expected a ServiceTokensError');
  return error;
}

const documentSchema = z.object({
  paths: z.record(z.string(), z.record(z.string(), z.object({ operationId: z.string() }))),
});

describe('the typed client', () => {
  it("calls exactly the OpenAPI document's operations, by operationId, method and path", () => {
    const document = documentSchema.parse(JSON.parse(readFileSync(OPENAPI_PATH, 'utf8')));
    const documented = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.entries(item).map(([method, op]) => [op.operationId, method.toUpperCase(), path]),
    );
    const called = Object.entries(OPERATIONS).map(([id, op]) => [id, op.method, op.path]);
    expect(called.sort()).toEqual(documented.sort());
  });

  it("checks each answer with the schema the server's route declares", () => {
    const responses = new Map(Object.entries(OPERATIONS).map(([id, op]) => [id, op.response]));
    for (const route of ROUTES) {
      expect(Object.is(responses.get(route.operationId), route.response), route.operationId).toBe(
        true,
      );
    }
  });

  it('sends the token as a Bearer header and encodes path and query parameters', async () => {
    const { api, sent } = client([json(200, { ...ME, status: 'active' })]);
    await api.getToken('tok_a/b?c').catch(() => undefined);
    const { api: lister, sent: listed } = client([json(200, { items: [] })]);
    await lister.listTokens({ owner: 'team a', limit: 5, status: undefined });
    expect(sent[0]?.url).toBe(`${BASE}/tokens/tok_a%2Fb%3Fc`);
    expect(new Headers(sent[0]?.init?.headers).get('authorization')).toBe(`Bearer ${TOKEN}`);
    expect(listed[0]?.url).toBe(`${BASE}/tokens?owner=team+a&limit=5`);
  });

  it('returns the answer typed, as the schema parsed it', async () => {
    const { api } = client([json(200, { ...ME, unknownField: 1 })]);
    expect(await api.getMe()).toEqual(ME);
  });

  it("retries 503 and 429 after the API's Retry-After, then succeeds", async () => {
    const slept: number[] = [];
    const busy = json(503, { message: 'busy' }, { 'retry-after': '1' });
    const throttled = json(429, { message: 'slow down' }, { 'retry-after': '2' });
    const { api, sent } = client([busy, throttled, json(200, ME)], slept);
    expect(await api.getMe()).toEqual(ME);
    expect(sent).toHaveLength(3);
    expect(slept).toEqual([1000, 2000]);
  });

  it('never retries a write on 503, which may come after it committed; 429 it does', async () => {
    const busy = json(503, { message: 'The token store is busy' }, { 'retry-after': '1' });
    const { api, sent } = client([busy, json(201, {})]);
    expect(await failure(api.createToken({ name: 'ci', scopes: ['tokens:read'] }))).toMatchObject({
      status: 503,
    });
    expect(sent).toHaveLength(1);
    const throttled = json(429, { message: 'slow down' }, { 'retry-after': '0' });
    const { api: again, sent: twice } = client([throttled, json(200, { revoked: [] })]);
    await again.emergencyRevoke({ owner: 'team-a', reason: 'leak' }).catch(() => undefined);
    expect(twice).toHaveLength(2);
  });

  it('gives up after its attempts, or at once for a Retry-After beyond its patience', async () => {
    const busy = json(503, { message: 'The token store is busy' }, { 'retry-after': '1' });
    const { api, sent } = client([busy, busy, busy]);
    const error = await failure(api.getMe());
    expect(error).toMatchObject({ kind: 'http', status: 503, retryAfterSeconds: 1 });
    expect(error.message).toBe('getMe: 503 The token store is busy');
    expect(sent).toHaveLength(3);
    const { api: impatient, sent: once } = client([json(503, {}, { 'retry-after': '60' })]);
    expect(await failure(impatient.getMe())).toMatchObject({ status: 503 });
    expect(once).toHaveLength(1);
  });

  it('never retries a refusal, and says what the API said', async () => {
    for (const status of [400, 401, 403, 404, 409, 410]) {
      const { api, sent } = client([json(status, { message: `refused with ${String(status)}` })]);
      const error = await failure(api.revokeToken('tok_0123456789abcdef'));
      expect(error).toMatchObject({ kind: 'http', status, operation: 'revokeToken' });
      expect(error.message).toBe(`revokeToken: ${String(status)} refused with ${String(status)}`);
      expect(sent).toHaveLength(1);
    }
  });

  it('reports no answer and an answer off the contract as errors of their own kind', async () => {
    const refused = new ServiceTokensClient({
      baseUrl: BASE,
      token: TOKEN,
      fetch: () =>
        Promise.reject(new TypeError('fetch failed', { cause: new Error('ECONNREFUSED') })),
    });
    expect(await failure(refused.getMe())).toMatchObject({
      kind: 'network',
      message: 'getMe: no answer (Error: ECONNREFUSED)',
    });
    const { api } = client([() => new Response('<html>', { status: 200 })]);
    expect(await failure(api.getMe())).toMatchObject({ kind: 'invalid-response', status: 200 });
    const { api: shaped } = client([json(200, { tokenId: 1 })]);
    expect((await failure(shaped.getMe())).message).toContain('at tokenId');
  });

  it('never puts the token into an error message, whatever the API answers', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 400, max: 599 }), fc.string(), async (status, text) => {
        const { api } = client([() => new Response(text, { status }), json(status, {})]);
        const error = await failure(api.getMe());
        expect(error.message).not.toContain(TOKEN);
        expect(JSON.stringify(error)).not.toContain(TOKEN);
      }),
      { numRuns: 100 },
    );
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-12-01T12:00:00Z');
    expect(retryAfterSeconds('3', now)).toBe(3);
    expect(retryAfterSeconds('Tue, 01 Dec 2026 12:00:05 GMT', now)).toBe(5);
    expect(retryAfterSeconds('soon', now)).toBeUndefined();
    expect(retryAfterSeconds(null, now)).toBeUndefined();
  });
});
