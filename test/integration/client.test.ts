/**
 * The typed client against the local stack over HTTP, as a team would use it: the API's
 * answers typed and checked, its refusals as ServiceTokensError with the API's message.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServiceTokensClient, ServiceTokensError } from '../../client';
import { freePort } from '../../local/emulators/child-process';
import { killChildren, startStack, type Running } from '../support/local-stack';

async function failure(promise: Promise<unknown>): Promise<ServiceTokensError> {
  const error: unknown = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof ServiceTokensError)) throw new Error(`expected a ServiceTokensError`);
  return error;
}

describe('the typed client on the local stack', { timeout: 180_000 }, () => {
  const scratch = mkdtempSync(join(tmpdir(), 'client-'));
  let stack: Running;
  let admin: ServiceTokensClient;

  beforeAll(async () => {
    const port = await freePort();
    stack = await startStack(['--port', String(port), '--data-dir', join(scratch, 'data')]);
    admin = new ServiceTokensClient({ baseUrl: stack.url, token: stack.adminToken });
  }, 180_000);

  afterAll(() => {
    killChildren();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('runs a token through its life: create, read, use, rotate, revoke', async () => {
    expect(await admin.getHealth()).toEqual({ status: 'ok' });
    expect(await admin.getMe()).toMatchObject({ admin: true });
    const issued = await admin.createToken({
      name: 'client-ci',
      owner: 'team-client',
      scopes: ['tokens:read'],
    });
    expect(issued.token).toMatch(/^sk_/);
    const team = new ServiceTokensClient({ baseUrl: stack.url, token: issued.token });
    expect(await team.getMe()).toMatchObject({ tokenId: issued.tokenId, owner: 'team-client' });
    const page = await team.listTokens({ limit: 10 });
    expect(page.items.map((token) => token.tokenId)).toContain(issued.tokenId);
    const rotated = await admin.rotateToken(issued.tokenId, { graceDays: 0 });
    expect(rotated.tokenId).not.toBe(issued.tokenId);
    const revoked = await admin.revokeToken(rotated.tokenId, { reason: 'client test' });
    expect(revoked.status).toBe('revoked');
    expect((await admin.getToken(rotated.tokenId)).status).toBe('revoked');
  });

  it("lists the registered APIs: the example consumer's orders API with its stage and scopes", async () => {
    const { items } = await admin.listApis({ limit: 10 });
    expect(items).toEqual([
      expect.objectContaining({
        apiId: 'orders',
        kind: 'rest',
        stages: ['prod'],
        scopes: ['orders:admin', 'orders:read', 'orders:write'],
      }),
    ]);
  });

  it("turns refusals into ServiceTokensError with the API's status and message", async () => {
    const unknown = await failure(admin.getToken('tok_0000000000000000'));
    expect(unknown).toMatchObject({ kind: 'http', status: 404, operation: 'getToken' });
    expect(unknown.message).toMatch(/^getToken: 404 No token tok_0000000000000000/);
    const invalid = await failure(admin.createToken({ name: 'x', scopes: [] }));
    expect(invalid).toMatchObject({ status: 400 });
    expect(invalid.message).toContain('scopes');
    const unknownScope = await failure(admin.createToken({ name: 'x', scopes: ['orders:raed'] }));
    expect(unknownScope).toMatchObject({ status: 400, operation: 'createToken' });
    expect(unknownScope.message).toContain('nearest known scope: orders:read');
    const anonymous = new ServiceTokensClient({ baseUrl: stack.url });
    expect(await failure(anonymous.getMe())).toMatchObject({ status: 401 });
  });

  it('serves GET /openapi.json to anyone, the same document as docs/openapi.json', async () => {
    const anonymous = new ServiceTokensClient({ baseUrl: stack.url });
    const served = await anonymous.getOpenApiDocument();
    const committed: unknown = JSON.parse(
      readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'openapi.json'), 'utf8'),
    );
    expect(served).toEqual(committed);
  });

  it('reports a stack that is not there as a network error, without the token', async () => {
    const gone = new ServiceTokensClient({
      baseUrl: `http://127.0.0.1:${String(await freePort())}`,
      token: stack.adminToken,
    });
    const error = await failure(gone.getMe());
    expect(error.kind).toBe('network');
    expect(error.message).toMatch(/^getMe: no answer \(.*ECONNREFUSED/);
    expect(error.message).not.toContain(stack.adminToken ?? 'sk_');
  });
});
