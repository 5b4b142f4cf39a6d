/**
 * The stage flusher on the emulators, in the local stack: a normal revoke (no emergency)
 * reaches the audit stream, the relay, the bus (moto), the flusher's queue (moto SQS) and the
 * flusher, whose FlushStageAuthorizersCache call empties the local gateway's policy cache, so
 * the revoked token gets 403 within the bound while a live token keeps being served.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, field } from '../../local/stack/api-client';
import { deployedSettings, startLocalStack, type LocalStack } from '../../local/stack/start';

const BOUND_MS = 10_000;

describe(
  'revocation reaches the local stage through the stage flusher',
  { timeout: 120_000 },
  () => {
    const scratch = mkdtempSync(join(tmpdir(), 'stage-flusher-'));
    const lines: string[] = [];
    let stack: LocalStack;
    /** How the gateway answered the last API request (feed lines may come in between). */
    const lastRequest = () => lines.filter((line) => line.includes('GET /orders →')).at(-1);

    beforeAll(async () => {
      stack = await startLocalStack(deployedSettings(scratch, (line) => lines.push(line)));
    }, 120_000);

    afterAll(async () => {
      await stack.stop();
      rmSync(scratch, { recursive: true, force: true });
    });

    it('stops a normally revoked token within the bound; a live token is served from the cache again after one call', async () => {
      const api = apiClient(stack.url);
      // The example consumer's orders API: its stage is flushed as a registered one.
      const orders = apiClient(stack.ordersUrl);
      const admin = stack.adminToken ?? '';
      const issue = async (name: string) =>
        field(
          await api(admin, 'POST', '/tokens', { name, owner: 'team-f', scopes: ['orders:read'] }),
          'token',
        );
      const created = await api(admin, 'POST', '/tokens', {
        name: 'to-revoke',
        owner: 'team-f',
        scopes: ['orders:read'],
      });
      const revoked = field(created, 'token');
      const live = await issue('live');
      for (const token of [revoked, live, revoked, live]) {
        expect((await orders(token, 'GET', '/orders')).status).toBe(200);
      }
      expect(lastRequest()).toMatch(/\(authorizer cached\)$/);

      const began = Date.now();
      const deleted = await api(admin, 'DELETE', `/tokens/${field(created, 'tokenId')}?reason=e2e`);
      expect(deleted.status).toBe(200);
      // The revocation is not an emergency: the 403 can only come from the flusher's flush.
      let status = 200;
      while (status === 200 && Date.now() - began < BOUND_MS) {
        await sleep(100);
        status = (await orders(revoked, 'GET', '/orders')).status;
      }
      expect(status).toBe(403);
      expect(
        lines.some((line) =>
          /^\[flush\] 1 event: every stage's authorizer cache flushed$/.test(line),
        ),
      ).toBe(true);

      // The flush dropped the live token's policy too: one authorizer call, then cached again.
      expect((await orders(live, 'GET', '/orders')).status).toBe(200);
      expect(lastRequest()).toMatch(/\(authorizer called\)$/);
      expect((await orders(live, 'GET', '/orders')).status).toBe(200);
      expect(lastRequest()).toMatch(/\(authorizer cached\)$/);
    });
  },
);
