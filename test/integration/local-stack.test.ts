/**
 * The local stack as a user runs it: `npm start` in a terminal, the API over HTTP, the CLI
 * through `npm run local`, alerts in the alerts file, Ctrl-C, and a restart on the same data
 * directory. Nothing here reaches into the process: it is all stdout, HTTP, files and signals.
 */
import { APIGatewayClient, FlushStageAuthorizersCacheCommand } from '@aws-sdk/client-api-gateway';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { apiClient, field, untilRefused } from '../../local/stack/api-client';
import { LOCAL_WEBHOOK_SECRET } from '../../local/stack/leaks';
import { webhookSignature } from '../../shared/leaks/signatures';
import { ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { freePort } from '../../local/emulators/child-process';
import { localDynamoClient, localSecretsClient } from '../../local/aws/clients';
import { LOCAL_TABLES } from '../../local/stack/names';
import { displayHint, findTokens, hashToken } from '../../shared/token/format';
import {
  killChildren,
  cleanInterrupt,
  interrupt,
  npmStart,
  runProcess,
  sendRaw,
  startStack,
  type Running,
} from '../support/local-stack';

/** `npm run local -- --url … <args>`: stdout, stderr and exit code. */
const npmLocal = (url: string, args: string[]) =>
  runProcess('npm', ['run', '--silent', 'local', '--', '--url', url, ...args]);

const refuses = async (endpoint: string) =>
  fetch(endpoint).then(
    () => false,
    () => true,
  );

const listedSchema = z.object({
  items: z.array(z.object({ tokenId: z.string(), name: z.string(), status: z.string() })),
});

/** FlushStageAuthorizersCache of one stage, as the stack's own SDK clients call it. */
async function flushStage(url: string, restApiId: string, stageName: string): Promise<void> {
  const sdkEnv: unknown = await (await fetch(`${url}/_local/sdk-env`)).json();
  const { AWS_SESSION_TOKEN } = z.object({ AWS_SESSION_TOKEN: z.string() }).parse(sdkEnv);
  const client = new APIGatewayClient({
    endpoint: url,
    region: 'us-east-1',
    credentials: {
      accessKeyId: 'local',
      secretAccessKey: 'local',
      sessionToken: AWS_SESSION_TOKEN,
    },
  });
  try {
    await client.send(new FlushStageAuthorizersCacheCommand({ restApiId, stageName }));
  } finally {
    client.destroy();
  }
}

/** The stack's own process (not npm's), from its info endpoint. */
async function stackPid(url: string): Promise<number> {
  const info: unknown = await (await fetch(`${url}/_local/info`)).json();
  return z.object({ pid: z.number() }).parse(info).pid;
}

describe('the local stack (npm start)', { timeout: 180_000 }, () => {
  const scratch = mkdtempSync(join(tmpdir(), 'local-stack-'));
  const dataDir = join(scratch, 'data');
  const alertsFile = join(scratch, 'alerts.jsonl');
  let port: number;
  let ordersPort: number;
  let stack: Running;
  const issued: string[] = [];
  let successor: string;

  /** The same port, data directory and alerts file for both starts. */
  const onDataDir = () => [
    '--port',
    String(port),
    '--orders-port',
    String(ordersPort),
    '--data-dir',
    dataDir,
    '--alerts-file',
    alertsFile,
  ];

  beforeAll(async () => {
    port = await freePort();
    ordersPort = await freePort();
    stack = await startStack([
      ...onDataDir(),
      '--schedule-every',
      '1',
      // The handlers' own log lines and metrics too, for the leak check.
      '--verbose',
    ]);
  }, 180_000);

  afterAll(() => {
    killChildren();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('prints both APIs, a first admin token and example commands', () => {
    expect(stack.adminToken).toMatch(/^sk_[0-9A-Za-z]{49}$/);
    expect(stack.url).toBe(`http://127.0.0.1:${String(port)}`);
    expect(stack.ordersUrl).toBe(`http://127.0.0.1:${String(ordersPort)}`);
    expect(stack.output()).toMatch(/API\s+http\S+\s+\(the platform's REST API local, stage v1:/);
    expect(stack.output()).toMatch(
      /Orders API\s+http\S+\s+\(example consumer's REST API orders, stage prod:/,
    );
    for (const url of [`${stack.url}/me`, `${stack.ordersUrl}/orders`]) {
      expect(stack.output()).toContain(
        `curl -s -H "Authorization: Bearer ${stack.adminToken ?? ''}" ${url}`,
      );
    }
    // Not on the default port: the commands name the stack's URL, so they work as printed.
    expect(stack.output()).toContain(`npm run local -- --url ${stack.url} tokens list`);
    expect(stack.output()).toContain(`npm run local -- --url ${stack.url} rotate-now`);
    console.log(
      `local stack ready in ${String(stack.readyMs)} ms (npm start, emulators already installed)`,
    );
  });

  it('refuses a second start on the same port with a clear message, before starting anything', async () => {
    const second = npmStart(['--port', String(port)]);
    expect((await second.exited).code).toBe(1);
    expect(second.output()).toContain(`Port ${String(port)} on 127.0.0.1 is already in use`);
    expect(second.output()).not.toContain('Starting DynamoDB Local and moto');
    expect(stack.output()).toContain('Starting DynamoDB Local and moto');
    expect((await fetch(`${stack.url}/health`)).status).toBe(200);
  });

  it('runs the lifecycle over HTTP: create, use, rotate (both work in grace), revoke, denied', async () => {
    const api = apiClient(stack.url);
    const orders = apiClient(stack.ordersUrl);
    const admin = stack.adminToken ?? '';
    expect((await api(admin, 'GET', '/me')).body).toMatchObject({ owner: 'platform', admin: true });

    const created = await api(admin, 'POST', '/tokens', {
      name: 'orders-reader',
      owner: 'team-a',
      scopes: ['orders:read'],
    });
    expect(created.status).toBe(201);
    const first = field(created, 'token');
    const firstId = field(created, 'tokenId');
    issued.push(first);
    expect(await orders(first, 'GET', '/orders/42')).toMatchObject({
      status: 200,
      body: {
        route: 'GET /orders/{orderId}',
        tokenId: firstId,
        owner: 'team-a',
        scopes: 'orders:read',
      },
    });
    expect((await orders(first, 'POST', '/orders')).status).toBe(403);
    expect((await orders(undefined, 'GET', '/orders')).status).toBe(401);

    const rotated = await api(admin, 'POST', `/tokens/${firstId}/rotate`, { graceDays: 7 });
    expect(rotated.status).toBe(201);
    successor = field(rotated, 'token');
    issued.push(successor);
    expect((await orders(successor, 'GET', '/orders')).status).toBe(200);
    expect((await orders(first, 'GET', '/orders')).status).toBe(200);

    expect((await api(first, 'GET', '/me')).status).toBe(200);
    expect((await api(admin, 'DELETE', `/tokens/${firstId}?reason=e2e`)).status).toBe(200);
    // API Gateway keeps serving the cached Allow policy until a flush: the emergency revoke's
    // here, the stage flusher's a few seconds after a normal revoke (its batching window). The
    // management API checks its caller itself as well: 401, not the authorizer's 403.
    expect((await orders(first, 'GET', '/orders')).status).toBe(200);
    expect(await api(first, 'GET', '/me')).toMatchObject({
      status: 401,
      body: { message: 'The calling token is revoked' },
    });
    const emergency = await api(admin, 'POST', '/tokens/emergency-revoke', {
      tokenId: firstId,
      reason: 'e2e: leaked',
    });
    expect(emergency.body).toMatchObject({ complete: true, cacheFlushed: true });
    // The management API flushes its own stage: the platform's authorizer answers again.
    const denied = { status: 403, body: { message: 'This token may not call this route' } };
    expect(await api(first, 'GET', '/me')).toMatchObject(denied);
    expect((await api(successor, 'GET', '/me')).status).toBe(200);
    // Another API's stage keeps its cache: its own flush (or its TTL) ends the Allow.
    expect((await orders(first, 'GET', '/orders')).status).toBe(200);
    await flushStage(stack.url, 'orders', 'prod');
    expect(await orders(first, 'GET', '/orders')).toMatchObject(denied);
    expect((await orders(successor, 'GET', '/orders')).status).toBe(200);
  });

  it('drives the same tables through the CLI (npm run local -- tokens …)', async () => {
    const listed = await npmLocal(stack.url, ['tokens', '--json', 'list', '--owner', 'team-a']);
    expect(listed.code).toBe(0);
    const statuses = listedSchema
      .parse(JSON.parse(listed.stdout))
      .items.map((t) => t.status)
      .sort();
    expect(statuses).toEqual(['active', 'revoked']);

    const refused = await npmLocal(stack.url, ['tokens', 'show', 'tok_doesnotexist']);
    expect(refused.code).not.toBe(0);
  });

  it("flushes the stage a CLI emergency revoke names (the orders API's here), as in AWS", async () => {
    const api = apiClient(stack.url);
    const orders = apiClient(stack.ordersUrl);
    const created = await api(stack.adminToken, 'POST', '/tokens', {
      name: 'leaky',
      owner: 'team-c',
      scopes: ['orders:read'],
    });
    const leaky = field(created, 'token');
    issued.push(leaky);
    expect((await orders(leaky, 'GET', '/orders')).status).toBe(200);
    const revoked = await npmLocal(stack.url, [
      'tokens',
      '--json',
      'emergency-revoke',
      '--token',
      field(created, 'tokenId'),
      '--reason',
      'e2e: leaked',
      '--rest-api-id',
      'orders',
      '--stage',
      'prod',
    ]);
    expect(revoked.code).toBe(0);
    expect(JSON.parse(revoked.stdout)).toMatchObject({ cacheFlushed: true, complete: true });
    expect((await orders(leaky, 'GET', '/orders')).status).toBe(403);

    const unknown = await npmLocal(stack.url, [
      'tokens',
      '--json',
      'emergency-revoke',
      '--token',
      field(created, 'tokenId'),
      '--reason',
      'e2e: again',
      '--rest-api-id',
      'nosuchapi',
    ]);
    expect(JSON.parse(unknown.stdout)).toMatchObject({ cacheFlushed: false });
  });

  it('answers its control commands only when addressed to this machine, never to a rebinding page', async () => {
    const api = apiClient(stack.url);
    const demoTokens = async () =>
      listedSchema.parse((await api(stack.adminToken, 'GET', '/tokens?owner=team-demo')).body).items
        .length;
    const rotateNow = (headers: Record<string, string>) =>
      sendRaw(stack.url, {
        method: 'POST',
        path: '/_local/rotate-now',
        headers: { 'content-type': 'application/json', ...headers },
        body: '{}',
      });
    const before = await demoTokens();
    for (const host of [
      'evil.example',
      `evil.example:${String(port)}`,
      '127.0.0.1.evil.example',
      'localhost.evil.example',
      '',
    ]) {
      expect((await rotateNow({ host })).status).toBe(421);
    }
    expect((await rotateNow({ origin: 'http://evil.example' })).status).toBe(403);
    expect(stack.output()).toContain('Refused POST /_local/rotate-now:');
    expect(await demoTokens()).toBe(before);
  });

  it("flushes the authorizer cache only for its own clients, not for a caller without this run's session token", async () => {
    const api = apiClient(stack.url);
    const orders = apiClient(stack.ordersUrl);
    const created = await api(stack.adminToken, 'POST', '/tokens', {
      name: 'cached-then-revoked',
      owner: 'team-d',
      scopes: ['orders:read'],
    });
    const cached = field(created, 'token');
    const tokenId = field(created, 'tokenId');
    issued.push(cached);
    expect((await api(cached, 'GET', '/me')).status).toBe(200);
    expect((await orders(cached, 'GET', '/orders')).status).toBe(200);
    expect((await api(stack.adminToken, 'DELETE', `/tokens/${tokenId}?reason=e2e`)).status).toBe(
      200,
    );

    const foreign: Record<string, string>[] = [{}, { 'x-amz-security-token': 'guessed' }];
    for (const stage of ['local/stages/v1', 'orders/stages/prod']) {
      for (const headers of foreign) {
        const flush = await sendRaw(stack.url, {
          method: 'DELETE',
          path: `/restapis/${stage}/cache/authorizers`,
          headers,
        });
        expect(flush.status).toBe(403);
      }
    }
    // Not flushed: the revoked token's Allow policy is still served from each cache (the stage
    // flusher's own flush comes seconds later; on the platform's API, the management API's own
    // caller check answers 401).
    expect((await orders(cached, 'GET', '/orders')).status).toBe(200);
    expect((await api(cached, 'GET', '/me')).status).toBe(401);

    const emergency = await api(stack.adminToken, 'POST', '/tokens/emergency-revoke', {
      tokenId,
      reason: 'e2e: the stack flushes its own cache',
    });
    expect(emergency.body).toMatchObject({ cacheFlushed: true });
    expect((await api(cached, 'GET', '/me')).status).toBe(403);
    await flushStage(stack.url, 'orders', 'prod');
    expect((await orders(cached, 'GET', '/orders')).status).toBe(403);
  });

  it("serves the example consumer's orders API beside the platform's, each with its own catalog and authorizer", async () => {
    const api = apiClient(stack.url);
    const orders = apiClient(stack.ordersUrl);
    const issue = async (name: string, scopes: string[]) => {
      const created = await api(stack.adminToken, 'POST', '/tokens', {
        name,
        owner: 'team-e',
        scopes,
      });
      issued.push(field(created, 'token'));
      return field(created, 'token');
    };
    const reader = await issue('orders-and-me', ['orders:read']);
    const auditor = await issue('auditor', ['tokens:read']);
    // One token on both APIs.
    expect((await api(reader, 'GET', '/me')).body).toMatchObject({ owner: 'team-e' });
    expect((await orders(reader, 'GET', '/orders')).body).toMatchObject({
      route: 'GET /orders',
      owner: 'team-e',
      scopes: 'orders:read',
    });
    // A scope works where its API's catalog names it, and nowhere else.
    expect((await orders(reader, 'DELETE', '/orders/o-1')).status).toBe(403);
    expect((await api(reader, 'GET', '/tokens?owner=team-e')).status).toBe(403);
    expect((await api(auditor, 'GET', '/tokens?owner=team-e')).status).toBe(200);
    expect((await orders(auditor, 'GET', '/orders')).status).toBe(403);
    // Each API has its own routes only.
    expect((await api(reader, 'GET', '/orders')).status).toBe(404);
    expect((await orders(reader, 'GET', '/me')).status).toBe(404);
    // And no control plane on the orders API's port.
    expect((await fetch(`${stack.ordersUrl}/_local/info`)).status).toBe(404);
    const info: unknown = await (await fetch(`${stack.url}/_local/info`)).json();
    expect(info).toMatchObject({
      apis: [
        { restApiId: 'local', stage: 'v1', url: stack.url },
        { restApiId: 'orders', stage: 'prod', url: stack.ordersUrl },
      ],
    });
    expect(stack.output()).toMatch(/\[orders\/prod\] GET \/orders → 200 in [\d.]+ ms/);
  });

  it('stops a token a scanner reports (POST /leaks, HMAC-signed) on both APIs within seconds', async () => {
    const api = apiClient(stack.url);
    const orders = apiClient(stack.ordersUrl);
    const created = await api(stack.adminToken, 'POST', '/tokens', {
      name: 'leaked-ci',
      owner: 'team-l',
      scopes: ['orders:read'],
    });
    const token = field(created, 'token');
    issued.push(token);
    // Cached Allow on the orders API (300 s): only the stage flush can stop it that soon.
    expect((await orders(token, 'GET', '/orders')).status).toBe(200);
    const secrets = localSecretsClient(stack.motoEndpoint);
    const { SecretString: secret = '' } = await secrets.send(
      new GetSecretValueCommand({ SecretId: LOCAL_WEBHOOK_SECRET, VersionStage: 'AWSCURRENT' }),
    );
    secrets.destroy();
    const body = JSON.stringify([{ token, type: 'service_token', url: 'https://x/build.log' }]);
    const timestamp = String(Math.floor(Date.now() / 1000));
    const since = performance.now();
    const reply = await fetch(`${stack.url}/leaks`, {
      method: 'POST',
      headers: {
        'x-leak-timestamp': timestamp,
        'x-leak-signature': webhookSignature(secret, timestamp, body),
      },
      body,
    });
    const text = await reply.text();
    expect(reply.status).toBe(200);
    expect(JSON.parse(text)).toMatchObject({ results: [{ index: 0, outcome: 'revoked' }] });
    expect(findTokens(text)).toEqual([]);
    const refused = await untilRefused(() => orders(token, 'GET', '/orders'), {
      since,
      timeoutMs: 30_000,
      everyMs: 100,
    });
    expect(refused?.status).toBe(403);
    // A forged report is refused and changes nothing.
    const forged = await fetch(`${stack.url}/leaks`, {
      method: 'POST',
      headers: { 'x-leak-timestamp': timestamp, 'x-leak-signature': 'sha256=00' },
      body,
    });
    expect(forged.status).toBe(401);
    // The local stand-in for GitHub's keys document.
    const keys: unknown = await (await fetch(`${stack.url}/_local/github-keys`)).json();
    const document = z.object({
      public_keys: z.array(z.object({ key_identifier: z.string(), key: z.string() })),
    });
    expect(document.parse(keys).public_keys[0]?.key).toContain('BEGIN PUBLIC KEY');
  });

  it('publishes the lifecycle as events on the bus, as a consumer receives them', async () => {
    const listed = await npmLocal(stack.url, ['events']);
    expect(listed.code).toBe(0);
    const events = z
      .array(
        z.object({
          'detail-type': z.string(),
          detail: z.object({ token: z.object({ name: z.string().optional() }) }),
        }),
      )
      .parse(JSON.parse(listed.stdout));
    const ofReader = events
      .filter((e) => e.detail.token.name === 'orders-reader')
      .map((e) => e['detail-type']);
    expect(ofReader).toEqual(['TokenCreated', 'TokenCreated', 'TokenRotated', 'TokenRevoked']);
    expect(stack.output()).toMatch(/\[event\] TokenRotated tok_\w+ \(orders-reader, team-a\)/);
  });

  it('rotates the demo secret now, as the console button does', async () => {
    const rotated = await npmLocal(stack.url, ['rotate-now']);
    expect(rotated.code).toBe(0);
    const result = z
      .object({ tokenId: z.string(), hint: z.string(), versionId: z.string() })
      .parse(JSON.parse(rotated.stdout));
    expect(result.tokenId).toMatch(/^tok_/);
    expect(rotated.stdout).not.toMatch(/sk_[0-9A-Za-z]{49}/);

    const unknown = await npmLocal(stack.url, ['rotate-now', 'no-such-secret']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('No rotated secret named no-such-secret');
  });

  it('delivers an expiry alert to the alerts file on the next schedule run', async () => {
    const api = apiClient(stack.url);
    const soon = await api(stack.adminToken ?? '', 'POST', '/tokens', {
      name: 'nightly-batch',
      owner: 'team-b',
      scopes: ['orders:read'],
      expiresInDays: 1,
    });
    issued.push(field(soon, 'token'));
    const tokenId = field(soon, 'tokenId');
    const deadline = Date.now() + 20_000;
    let alerts: string[] = [];
    while (Date.now() < deadline) {
      alerts = existsSync(alertsFile)
        ? readFileSync(alertsFile, 'utf8')
            .split('\n')
            .filter((l) => l.includes(tokenId))
        : [];
      if (alerts.length > 0) break;
      await sleep(250);
    }
    expect(alerts).toHaveLength(1);
    expect(JSON.parse(alerts[0] ?? '{}')).toMatchObject({
      message: {
        kind: 'token-expiring',
        severity: 'critical',
        owner: 'team-b',
        token: { id: tokenId },
      },
    });
    expect(stack.output()).toContain(
      '[alert] [critical] Service token nightly-batch expires within a day',
    );
  });

  it('never shows a token in its console output (handler logs included) or the alerts file, except the admin token in the banner', async () => {
    const seen = stack.output() + readFileSync(alertsFile, 'utf8');
    expect(issued).toHaveLength(8);
    const sdkEnv: unknown = await (await fetch(`${stack.url}/_local/sdk-env`)).json();
    const { AWS_SESSION_TOKEN } = z.object({ AWS_SESSION_TOKEN: z.string() }).parse(sdkEnv);
    expect(seen).not.toContain(AWS_SESSION_TOKEN);
    for (const token of issued) expect(seen).not.toContain(token);
    // Any token at all, e.g. the demo secret's rotated ones: only the admin token, in the banner.
    expect([...new Set(findTokens(seen))]).toEqual([stack.adminToken]);
    expect(seen).toContain('"level":"INFO"');
  });

  it('leaves no issued token or hash in DynamoDB items, audit events, lifecycle events or error replies', async () => {
    const client = localDynamoClient(stack.dynamoEndpoint);
    try {
      const scan = async (TableName: string) => {
        const items: unknown[] = [];
        let ExclusiveStartKey: Record<string, AttributeValue> | undefined;
        do {
          const page = await client.send(new ScanCommand({ TableName, ExclusiveStartKey }));
          items.push(...(page.Items ?? []));
          ExclusiveStartKey = page.LastEvaluatedKey;
        } while (ExclusiveStartKey !== undefined);
        return items;
      };
      const tokenTable = JSON.stringify(await scan(LOCAL_TABLES.tokens));
      const auditItems = await scan(LOCAL_TABLES.audit);
      const events = await npmLocal(stack.url, ['events']);
      const api = apiClient(stack.url);
      const refusals = await Promise.all([
        apiClient(stack.ordersUrl)(issued[0], 'GET', '/orders'),
        apiClient(stack.ordersUrl)(`${issued[1] ?? ''}x`, 'GET', '/orders'),
        api(stack.adminToken, 'POST', '/tokens', { name: issued[1], scopes: ['orders:read'] }),
      ]);
      expect(auditItems.length).toBeGreaterThan(10);
      expect(refusals.map((r) => r.status)).toEqual([403, 401, 400]);
      // The tokens table is keyed by hash; nothing else may hold one.
      const elsewhere =
        JSON.stringify(auditItems) + events.stdout + JSON.stringify(refusals.map((r) => r.body));
      expect(findTokens(tokenTable + elsewhere)).toEqual([]);
      for (const token of [...issued, stack.adminToken ?? '']) {
        expect(tokenTable).toContain(hashToken(token));
        expect(tokenTable).toContain(displayHint(token));
        expect(elsewhere).not.toContain(hashToken(token));
      }
    } finally {
      client.destroy();
    }
  });

  it('stops cleanly on Ctrl-C, emulators included', async () => {
    expect(cleanInterrupt(await interrupt(stack))).toBe(true);
    expect(stack.output()).toContain('Stopped.');
    expect(await refuses(`${stack.url}/health`)).toBe(true);
    expect(await refuses(`${stack.ordersUrl}/health`)).toBe(true);
    expect(await refuses(stack.dynamoEndpoint)).toBe(true);
    expect(await refuses(`${stack.motoEndpoint}/moto-api/`)).toBe(true);
  });

  it('keeps its state across a restart on the same data directory, and SIGTERM stops it all', async () => {
    const again = await startStack(onDataDir());
    try {
      expect(again.adminToken).toBeUndefined();
      expect(again.output()).toContain('Resumed from the data directory');
      const api = apiClient(again.url);
      const orders = apiClient(again.ordersUrl);
      expect((await orders(successor, 'GET', '/orders')).status).toBe(200);
      expect((await orders(issued[0], 'GET', '/orders')).status).toBe(403);
      expect((await api(stack.adminToken, 'GET', '/me')).status).toBe(200);
      // The previous demo secret is gone with moto's state; its tokens must not stay valid.
      const demo = await npmLocal(again.url, ['tokens', '--json', 'list', '--owner', 'team-demo']);
      const live = listedSchema
        .parse(JSON.parse(demo.stdout))
        .items.filter((t) => t.status === 'active');
      expect(live).toHaveLength(1);
      // Events continue from the restart; earlier changes are not published again.
      const events = await npmLocal(again.url, ['events']);
      expect(events.stdout).toContain('"TokenRevoked"');
      expect(events.stdout).not.toContain('orders-reader');
    } finally {
      // SIGTERM to the stack's own process only: its shutdown, not the terminal's process
      // group signal, must stop the emulators.
      process.kill(await stackPid(again.url), 'SIGTERM');
      expect(cleanInterrupt(await again.exited)).toBe(true);
    }
    expect(again.output()).toContain('SIGTERM: stopping the local stack');
    expect(again.output()).toContain('Stopped.');
    expect(await refuses(again.dynamoEndpoint)).toBe(true);
    expect(await refuses(`${again.motoEndpoint}/moto-api/`)).toBe(true);
  });
});
