/**
 * `npm run bench:revocation`: the measured revocation bound. Starts the local stack with the
 * deployed settings (API Gateway's policy cache 300 s, the flusher's 2 s batching window), and
 * for each of REVOCATIONS tokens: warm its policy into the cache, revoke it normally (DELETE
 * /tokens/{id}, no emergency), then poll every protected API until it answers 403. Only the
 * stage flush can make that happen before 300 s. Meanwhile a bystander token must keep being
 * served. Prints p50, p99 and max per API; exits non-zero when p99 misses 10 s.
 *
 * Local figures: the audit stream is polled every 250 ms here (DynamoDB Streams to Lambda is
 * typically sub-second in AWS), EventBridge and SQS are moto. See the README for the parts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { apiClient, field } from '../local/stack/api-client';
import { deployedSettings, startLocalStack } from '../local/stack/start';
import { printTable, verdict, type BenchRow } from './report';

const REVOCATIONS = Number(process.env['REVOCATIONS'] ?? 20);
const POLL_MS = 50;
const GIVE_UP_MS = 60_000;
const TARGET_P99_MS = 10_000;

/** The protected APIs of the local stack, each by a route a reader token may call. */
interface Probe {
  readonly api: string;
  readonly baseUrl: string;
  readonly path: string;
  readonly scopes: readonly string[];
  /** The answers that mean the token stopped there. */
  readonly refused: readonly number[];
}

/** Nearest-rank percentile of `values` (sorted here). */
function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] ?? Number.NaN;
}

const scratch = mkdtempSync(join(tmpdir(), 'bench-revocation-'));
const stack = await startLocalStack(deployedSettings(scratch));
// Both APIs. The platform's own routes re-check their caller, so a revoked token gets 401
// there at once, cached policy or not; the stage cache bound shows on the consumer API (the
// example consumer's orders API): its 403 comes with the stage flusher's flush.
const probes: readonly Probe[] = [
  { api: 'platform', baseUrl: stack.url, path: '/me', scopes: [], refused: [401, 403] },
  {
    api: 'orders',
    baseUrl: stack.ordersUrl,
    path: '/orders',
    scopes: ['orders:read'],
    refused: [403],
  },
];

try {
  const admin = stack.adminToken ?? '';
  const manage = apiClient(stack.url);
  const issue = async (name: string) => {
    const scopes = [...new Set(probes.flatMap((p) => p.scopes))];
    const created = await manage(admin, 'POST', '/tokens', { name, owner: 'bench', scopes });
    return { token: field(created, 'token'), tokenId: field(created, 'tokenId') };
  };
  const statusOf = async (probe: Probe, token: string) =>
    (await apiClient(probe.baseUrl)(token, 'GET', probe.path)).status;

  const bystander = await issue('bystander');
  const samples = new Map<string, number[]>(probes.map((p) => [p.api, []]));
  let bystanderRefused = 0;
  for (let i = 0; i < REVOCATIONS; i++) {
    const { token, tokenId } = await issue(`revoked-${String(i)}`);
    for (const probe of probes) {
      // Twice: the second answer comes from API Gateway's policy cache.
      for (let call = 0; call < 2; call++) {
        const status = await statusOf(probe, token);
        if (status !== 200) throw new Error(`${probe.api}: a fresh token got ${String(status)}`);
      }
    }
    const revokedAt = performance.now();
    const revoked = await manage(admin, 'DELETE', `/tokens/${tokenId}?reason=bench`);
    if (revoked.status !== 200) throw new Error(`revoke answered ${String(revoked.status)}`);
    await Promise.all(
      probes.map(async (probe) => {
        for (;;) {
          const status = await statusOf(probe, token);
          const elapsed = performance.now() - revokedAt;
          if (probe.refused.includes(status)) {
            samples.get(probe.api)?.push(elapsed);
            return;
          }
          if (status !== 200)
            throw new Error(`${probe.api}: a revoked token got ${String(status)}`);
          if (elapsed > GIVE_UP_MS) throw new Error(`${probe.api}: still allowed after 60 s`);
          await sleep(POLL_MS);
        }
      }),
    );
    for (const probe of probes) {
      if ((await statusOf(probe, bystander.token)) !== 200) bystanderRefused++;
    }
  }

  const rows: BenchRow[] = [...samples].flatMap(([api, values]) => [
    {
      section: 'revocation',
      name: `revoke → first refusal, p50 (${api})`,
      value: percentile(values, 50),
      unit: 'ms',
      note: `${String(values.length)} revocations, cache TTL 300 s`,
    },
    {
      section: 'revocation',
      name: `revoke → first refusal, p99 (${api})`,
      value: percentile(values, 99),
      unit: 'ms',
      target: { op: '<=', value: TARGET_P99_MS },
    },
    {
      section: 'revocation',
      name: `revoke → first refusal, max (${api})`,
      value: Math.max(...values),
      unit: 'ms',
    },
  ]);
  rows.push({
    section: 'revocation',
    name: 'bystander calls refused',
    value: bystanderRefused,
    unit: 'calls',
    target: { op: '<=', value: 0 },
    note: 'a live token is never refused by a flush',
  });
  printTable(rows);
  if (rows.some((row) => verdict(row) === 'MISSED')) process.exitCode = 1;
} finally {
  await stack.stop();
  rmSync(scratch, { recursive: true, force: true });
}
