/**
 * `npm run demo`: the whole lifecycle on a fresh local stack, over HTTP as a client sees it.
 * Issue a token, call the example consumer's orders API, use one token on both APIs (a scope
 * works where its API's catalog names it), rotate (old and new both work during grace), revoke
 * (and see API Gateway's policy cache at work until the stage flusher flushes the stage),
 * emergency-revoke (which flushes the platform's stage at once), a normal revoke stopping the
 * token on both APIs (timed), a token found in a public repository and reported by a signed
 * secret-scanning call stopping the same way (timed), rotate a Secrets Manager secret now, receive an expiry alert, and
 * read the audit trail.
 */
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { Command } from 'commander';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lifecycleDetailSchema } from '../shared/events/lifecycle';
import { parseSecretValue } from '../shared/rotation/secret-value';
import { runCli } from '../cli/program';
import { revokeEverywhere, seconds, type DemoApi } from './demo-revoke';
import { localSecretsClient } from './aws/clients';
import { apiClient, field } from './stack/api-client';
import { DEMO_SECRET, PLATFORM_API } from './stack/names';
import { startLocalStack } from './stack/start';

const options = new Command('npm run demo --')
  .description('The whole token lifecycle on a fresh local stack, explained step by step.')
  .option(
    '--authorizer-cache-ttl <seconds>',
    "API Gateway's authorizer cache TTL on both APIs (300 s as deployed)",
    seconds(0, 3600),
    300,
  )
  .option(
    '--revoke-timeout <seconds>',
    'how long a revoked token may keep working on an API before the demo fails',
    seconds(1, 3600),
    30,
  )
  .parse()
  .opts<{ authorizerCacheTtl: number; revokeTimeout: number }>();

const scratch = mkdtempSync(join(tmpdir(), 'tokens-demo-'));
const requests: string[] = [];
const stack = await startLocalStack({
  port: 0,
  ordersPort: 0,
  alertsFile: join(scratch, 'alerts.jsonl'),
  authorizerCacheTtlSeconds: options.authorizerCacheTtl,
  // The demo runs the schedules itself, when it wants an alert.
  scheduleEverySeconds: 3600,
  clockRate: 1,
  verbose: false,
  // Refused callers are logged as warnings; here each refusal is shown on its line instead.
  quiet: true,
  print: (line) => requests.push(line),
});

const platform = apiClient(stack.url);
const orders = apiClient(stack.ordersUrl);
const admin = stack.adminToken ?? '';
const say = (text: string) => {
  console.log(text);
};
const failures: string[] = [];
/** One call on one of the two APIs, and what came of it, on one line. */
const show = async (label: string, token: string | undefined, on: DemoApi, route: string) => {
  const [method = 'GET', path = '/'] = route.split(' ');
  const reply = await on.call(token, method, path);
  const outcome =
    reply.status === 200 ? 'allowed' : `${String(reply.status)} ${JSON.stringify(reply.body)}`;
  const via = requests.at(-1)?.match(/\(authorizer (\w+)\)/)?.[1] ?? '';
  say(
    `   ${label.padEnd(33)} ${on.name.padEnd(8)} ${route.padEnd(25)} → ${outcome}${via === 'cached' ? '  (policy from the authorizer cache)' : ''}`,
  );
};
const onPlatform: DemoApi = { name: 'platform', call: platform };
const onOrders: DemoApi = { name: 'orders', call: orders };

try {
  say(
    `Local stack: the platform's API at ${stack.url}, the example consumer's orders API at ${stack.ordersUrl}`,
  );
  say(
    `(each with its own authorizer and a ${String(options.authorizerCacheTtl)} s policy cache; admin token issued at start).\n`,
  );

  const created = await platform(admin, 'POST', '/tokens', {
    name: 'orders-reader',
    owner: 'team-a',
    scopes: ['orders:read'],
  });
  const first = field(created, 'token');
  const firstId = field(created, 'tokenId');
  say(
    `1. POST /tokens issued ${firstId} (${field(created, 'hint')}) for team-a with orders:read; the plaintext is in that response only.`,
  );
  await show('the new token', first, onOrders, 'GET /orders');
  await show('the new token, a route it lacks', first, onOrders, 'POST /orders');
  await show('no token at all', undefined, onOrders, 'GET /orders');

  const auditor = await platform(admin, 'POST', '/tokens', {
    name: 'team-a-auditor',
    owner: 'team-a',
    scopes: ['tokens:read'],
  });
  const auditorToken = field(auditor, 'token');
  say(
    `\n2. One token, two APIs, each with its own catalog: ${firstId} works on both; a scope works where its API's catalog names it (${field(auditor, 'tokenId')} holds tokens:read):`,
  );
  await show('orders-reader (any token: /me)', first, onPlatform, 'GET /me');
  await show('orders-reader (orders:read)', first, onOrders, 'GET /orders');
  await show('orders-reader (orders:read)', first, onPlatform, 'GET /tokens?owner=team-a');
  await show('team-a-auditor (tokens:read)', auditorToken, onPlatform, 'GET /tokens?owner=team-a');
  await show('team-a-auditor (tokens:read)', auditorToken, onOrders, 'GET /orders');

  say('\n3. The admin rotates orders-reader (team-a could too, with a tokens:write token):');
  const successor = await platform(admin, 'POST', `/tokens/${firstId}/rotate`, { graceDays: 7 });
  const second = field(successor, 'token');
  const secondId = field(successor, 'tokenId');
  say(`   POST /tokens/${firstId}/rotate → ${secondId}; the old one has 7 days of grace:`);
  await show('new token', second, onOrders, 'GET /orders');
  await show('old token (in grace)', first, onOrders, 'GET /orders');

  await platform(admin, 'DELETE', `/tokens/${firstId}?reason=demo`);
  say(
    `\n4. DELETE /tokens/${firstId} revoked the old token. Each API caches each token's policy (${String(options.authorizerCacheTtl)} s here) until the stage flusher flushes its stage, a few seconds after the revoke; right after it the old token may still pass:`,
  );
  await show('old token', first, onOrders, 'GET /orders');
  say("   The platform's management API also checks its caller itself, cached policy or not:");
  await show('old token', first, onPlatform, 'GET /me');
  const emergency = await platform(admin, 'POST', '/tokens/emergency-revoke', {
    tokenId: firstId,
    reason: 'demo: leaked in a log',
  });
  say(
    `   POST /tokens/emergency-revoke → cacheFlushed: ${String(emergency.body['cacheFlushed'])}, the platform's stage (FlushStageAuthorizersCache on ${PLATFORM_API.restApiId}/${PLATFORM_API.stage}); now its authorizer answers again:`,
  );
  await show('old token', first, onPlatform, 'GET /me');
  await show('new token', second, onPlatform, 'GET /me');

  say(
    `\n5. A normal revoke stops ${secondId} on both APIs; each is polled until its first 403 (at most ${String(options.revokeTimeout)} s):`,
  );
  await show('new token', second, onOrders, 'GET /orders');
  const polledFrom = requests.length;
  const stopped = await revokeEverywhere({
    revoke: () => platform(admin, 'DELETE', `/tokens/${secondId}?reason=demo`),
    on: [
      { ...onPlatform, route: 'GET /me', token: second },
      { ...onOrders, route: 'GET /orders', token: second },
    ],
    timeoutMs: options.revokeTimeout * 1000,
  });
  for (const line of stopped.lines) say(`   ${line}`);
  failures.push(...stopped.failures);
  // The polls would fill the request log below; one line stands for them.
  const polls = requests.splice(polledFrom, requests.length - polledFrom);
  requests.splice(polledFrom, 0, `(${String(polls.length)} requests of step 5's polling)`);

  const leaked = await platform(admin, 'POST', '/tokens', {
    name: 'ci-deploy',
    owner: 'team-a',
    scopes: ['orders:read'],
  });
  const leakedToken = field(leaked, 'token');
  const leakUrl = 'https://github.com/team-a/app/blob/3f2c1e0/.env';
  say(
    `\n6. ${field(leaked, 'tokenId')} is found in a public repository (${leakUrl}): GitHub's secret scanning reports it, signed, to POST /leaks/github (a local ECDSA key stands in for GitHub's); each API is polled until its first 403 (at most ${String(options.revokeTimeout)} s):`,
  );
  await show('ci-deploy', leakedToken, onOrders, 'GET /orders');
  const leakPollsFrom = requests.length;
  const leak = await revokeEverywhere({
    revoke: () => stack.reportLeak([leakedToken], leakUrl),
    what: 'reported by the scanner and revoked',
    on: [
      { ...onPlatform, route: 'GET /me', token: leakedToken },
      { ...onOrders, route: 'GET /orders', token: leakedToken },
    ],
    timeoutMs: options.revokeTimeout * 1000,
  });
  for (const line of leak.lines) say(`   ${line}`);
  failures.push(...leak.failures);
  const leakPolls = requests.splice(leakPollsFrom, requests.length - leakPollsFrom);
  requests.splice(leakPollsFrom, 0, `(${String(leakPolls.length)} requests of step 6's polling)`);
  const leakAlert = stack.alerts().find((a) => JSON.stringify(a.body).includes('token-leaked'));
  say(
    `   The owner's critical alert: ${JSON.stringify(leakAlert?.body ?? 'none yet').slice(0, 200)}…`,
  );

  say(
    '\n7. The tokens CLI over the same API, as the admin (npm run tokens -- list --owner team-a):',
  );
  await runCli(['list', '--owner', 'team-a'], {
    out: (text) => process.stdout.write(text.replace(/^/gm, '   ')),
    err: (text) => process.stderr.write(text),
    env: { ...process.env, SERVICE_TOKENS_URL: stack.url, SERVICE_TOKENS_TOKEN: admin },
  });

  const secrets = localSecretsClient(stack.motoEndpoint);
  const current = async () => {
    const out = await secrets.send(
      // moto (unlike Secrets Manager) can answer a stage-less read with AWSPREVIOUS after a
      // rotation, so name the stage a service reads.
      new GetSecretValueCommand({ SecretId: DEMO_SECRET, VersionStage: 'AWSCURRENT' }),
    );
    return parseSecretValue(out.SecretString ?? '', 'AWSCURRENT').token ?? '';
  };
  const before = await current();
  const rotation = await stack.rotateNow();
  const after = await current();
  say(
    `\n8. "Rotate secret immediately" on ${DEMO_SECRET}: createSecret, setSecret, testSecret, finishSecret → ${rotation.tokenId} (${rotation.hint}).`,
  );
  await show('token read before (now in grace)', before, onOrders, 'GET /orders');
  await show('token it reads now', after, onOrders, 'GET /orders');
  secrets.destroy();

  const shortLived = await platform(admin, 'POST', '/tokens', {
    name: 'nightly-batch',
    owner: 'team-b',
    scopes: ['orders:read'],
    expiresInDays: 1,
  });
  await stack.runSchedules();
  say(
    `\n9. ${field(shortLived, 'tokenId')} expires within a day; the expiry-alert run publishes to the SNS topic, and a subscriber receives:`,
  );
  for (const alert of stack.alerts()) say(`   ${JSON.stringify(alert.body).slice(0, 220)}…`);

  const lifecycle = await stack.relayEvents();
  say(
    `\n10. Lifecycle events on the EventBridge bus (audit stream → relay → bus → a consumer's rule), ${String(lifecycle.length)} so far:`,
  );
  for (const event of lifecycle) {
    const detail = lifecycleDetailSchema.safeParse(event.detail);
    say(
      `   ${event['detail-type'].padEnd(18)} ${detail.success ? `${detail.data.token.id} ${detail.data.token.name ?? ''} by ${detail.data.actor}` : ''}`,
    );
  }

  const audit = await platform(admin, 'GET', `/audit?targetId=${firstId}`);
  say(`\n11. Audit trail of ${firstId} (GET /audit?targetId=…, never a token or hash):`);
  const items = Array.isArray(audit.body['items']) ? audit.body['items'] : [];
  for (const event of items) say(`   ${JSON.stringify(event)}`);

  say('\nAPI requests as the local gateway logged them:');
  for (const line of requests) say(`   ${line}`);
  if (failures.length > 0) {
    for (const failure of failures) console.error(`\nDemo failed: ${failure}`);
    process.exitCode = 1;
  }
} finally {
  await stack.stop();
  rmSync(scratch, { recursive: true, force: true });
}
