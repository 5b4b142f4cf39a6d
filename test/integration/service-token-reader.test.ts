/**
 * The example services on the local stack: a long-running worker and a Lambda handler read
 * the demo service token from its secret (moto) with ServiceTokenReader, call a protected
 * route through the gateway, and keep getting 200s across two rotate-nows.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ServiceTokenReader } from '../../client/service-token-reader';
import type { CallResult } from '../../examples/service/call-api';
import { handler } from '../../examples/service/lambda';
import { runWorker } from '../../examples/service/worker';
import { LOCAL_AWS_ENV, localClientConfig } from '../../local/aws/clients';
import { freePort } from '../../local/emulators/child-process';
import { DEMO_SECRET } from '../../local/stack/names';
import { killChildren, startStack, type Running } from '../support/local-stack';

const GRACE_SECONDS = 7 * 86_400;

describe('services reading their token across rotations', { timeout: 180_000 }, () => {
  const scratch = mkdtempSync(join(tmpdir(), 'reader-'));
  let stack: Running;

  const rotateNow = async () => {
    const response = await fetch(`${stack.url}/_local/rotate-now`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ secret: DEMO_SECRET }),
    });
    expect(response.status).toBe(200);
  };

  beforeAll(async () => {
    const port = await freePort();
    stack = await startStack(['--port', String(port), '--data-dir', join(scratch, 'data')]);
  }, 180_000);

  afterAll(() => {
    vi.unstubAllEnvs();
    killChildren();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('a worker keeps working through two rotate-nows and moves to each new token', async () => {
    const client = new SecretsManagerClient(localClientConfig(stack.motoEndpoint));
    const reader = new ServiceTokenReader({
      secretId: DEMO_SECRET,
      gracePeriodSeconds: GRACE_SECONDS,
      maxAgeSeconds: 1,
      provider: new SecretsProvider({ awsSdkV3Client: client }),
    });
    const before = await reader.refresh();
    const calls: CallResult[] = [];
    const stop = new AbortController();
    const worker = runWorker({
      reader,
      url: `${stack.url}/me`,
      intervalMs: 100,
      signal: stop.signal,
      onCall: (call) => calls.push(call),
    });
    await sleep(500);
    await rotateNow();
    const second = (await reader.refresh()).tokenId;
    await sleep(2500);
    await rotateNow();
    const third = (await reader.refresh()).tokenId;
    await sleep(2500);
    stop.abort();
    await worker;

    expect(calls.length).toBeGreaterThan(20);
    expect(calls.filter((call) => call.status !== 200)).toEqual([]);
    const seen = [...new Set(calls.map((call) => call.tokenId))];
    expect(seen).toEqual([before.tokenId, second, third]);
    expect(calls.at(-1)?.body).toMatchObject({ tokenId: third });
  });

  it('a Lambda handler reads the current token from its environment and calls the route', async () => {
    vi.stubEnv('SERVICE_TOKEN_SECRET', DEMO_SECRET);
    vi.stubEnv('GRACE_PERIOD_SECONDS', String(GRACE_SECONDS));
    vi.stubEnv('API_URL', `${stack.url}/me`);
    vi.stubEnv('AWS_ENDPOINT_URL_SECRETS_MANAGER', stack.motoEndpoint);
    for (const [name, value] of Object.entries(LOCAL_AWS_ENV)) vi.stubEnv(name, value);
    const first = await handler();
    expect(first).toMatchObject({ status: 200 });
    expect(first.body).toMatchObject({ tokenId: first.tokenId });
  });
});
