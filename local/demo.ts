/**
 * `npm run demo`: the whole lifecycle on a fresh local stack, over HTTP as a client sees it.
 * Issue a token, call the API, rotate (old and new both work during grace), revoke (and see
 * API Gateway's policy cache at work until the stage flusher's flush), emergency-revoke (which
 * flushes at once), rotate a Secrets
 * Manager secret now, receive an expiry alert, and read the audit trail.
 */
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lifecycleDetailSchema } from '../shared/events/lifecycle';
import { parseSecretValue } from '../shared/rotation/secret-value';
import { runCli } from '../cli/program';
import { LOCAL_AWS_ENV, localSecretsClient } from './aws/clients';
import { apiClient, field } from './stack/api-client';
import { DEMO_SECRET, LOCAL_TABLES } from './stack/names';
import { startLocalStack } from './stack/start';

const scratch = mkdtempSync(join(tmpdir(), 'tokens-demo-'));
const requests: string[] = [];
const stack = await startLocalStack({
  port: 0,
  alertsFile: join(scratch, 'alerts.jsonl'),
  authorizerCacheTtlSeconds: 300,
  // The demo runs the schedules itself, when it wants an alert.
  scheduleEverySeconds: 3600,
  clockRate: 1,
  verbose: false,
  print: (line) => requests.push(line),
});

const api = apiClient(stack.url);
const admin = stack.adminToken ?? '';
const say = (text: string) => {
  console.log(text);
};
const show = async (label: string, token: string | undefined, method = 'GET', path = '/orders') => {
  const reply = await api(token, method, path);
  const outcome =
    reply.status === 200 ? 'allowed' : `${String(reply.status)} ${JSON.stringify(reply.body)}`;
  const via = requests.at(-1)?.match(/\(authorizer (\w+)\)/)?.[1] ?? '';
  say(
    `   ${label.padEnd(34)} ${`${method} ${path}`.padEnd(13)} → ${outcome}${via === 'cached' ? '  (policy from the authorizer cache)' : ''}`,
  );
};

try {
  say(`Local stack at ${stack.url} (admin token issued at start).\n`);

  const created = await api(admin, 'POST', '/tokens', {
    name: 'orders-reader',
    owner: 'team-a',
    scopes: ['orders:read'],
  });
  const first = field(created, 'token');
  const firstId = field(created, 'tokenId');
  say(
    `1. POST /tokens issued ${firstId} (${field(created, 'hint')}) for team-a with orders:read; the plaintext is in that response only.`,
  );
  await show('the new token', first);
  await show('the new token, a route it lacks', first, 'POST');
  await show('no token at all', undefined);

  say('\n2. The admin rotates it (team-a could too, with a tokens:write token):');
  const successor = await api(admin, 'POST', `/tokens/${firstId}/rotate`, { graceDays: 7 });
  const second = field(successor, 'token');
  const secondId = field(successor, 'tokenId');
  say(`   POST /tokens/${firstId}/rotate → ${secondId}; the old one has 7 days of grace:`);
  await show('new token', second);
  await show('old token (in grace)', first);

  await api(admin, 'DELETE', `/tokens/${firstId}?reason=demo`);
  say(
    `\n3. DELETE /tokens/${firstId} revoked the old token. API Gateway caches each token's policy (300 s here, as deployed) until the stage flusher flushes the stage, a few seconds after the revoke:`,
  );
  await show('old token', first);
  const emergency = await api(admin, 'POST', '/tokens/emergency-revoke', {
    tokenId: firstId,
    reason: 'demo: leaked in a log',
  });
  say(
    `   POST /tokens/emergency-revoke → cacheFlushed: ${String(emergency.body['cacheFlushed'])}; now:`,
  );
  await show('old token', first);
  await show('new token', second);

  say('\n4. The operator CLI on the same tables (npm run local -- tokens list --owner team-a):');
  await runCli(
    [
      '--endpoint',
      stack.dynamoEndpoint,
      '--tokens-table',
      LOCAL_TABLES.tokens,
      '--audit-table',
      LOCAL_TABLES.audit,
      'list',
      '--owner',
      'team-a',
    ],
    {
      out: (text) => process.stdout.write(text.replace(/^/gm, '   ')),
      err: (text) => process.stderr.write(text),
      env: { ...process.env, ...LOCAL_AWS_ENV },
    },
  );

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
    `\n5. "Rotate secret immediately" on ${DEMO_SECRET}: createSecret, setSecret, testSecret, finishSecret → ${rotation.tokenId} (${rotation.hint}).`,
  );
  await show('token read before (now in grace)', before);
  await show('token it reads now', after);
  secrets.destroy();

  const shortLived = await api(admin, 'POST', '/tokens', {
    name: 'nightly-batch',
    owner: 'team-b',
    scopes: ['orders:read'],
    expiresInDays: 1,
  });
  await stack.runSchedules();
  say(
    `\n6. ${field(shortLived, 'tokenId')} expires within a day; the expiry-alert run publishes to the SNS topic, and a subscriber receives:`,
  );
  for (const alert of stack.alerts()) say(`   ${JSON.stringify(alert.body).slice(0, 220)}…`);

  const lifecycle = await stack.relayEvents();
  say(
    `\n7. Lifecycle events on the EventBridge bus (audit stream → relay → bus → a consumer's rule), ${String(lifecycle.length)} so far:`,
  );
  for (const event of lifecycle) {
    const detail = lifecycleDetailSchema.safeParse(event.detail);
    say(
      `   ${event['detail-type'].padEnd(18)} ${detail.success ? `${detail.data.token.id} ${detail.data.token.name ?? ''} by ${detail.data.actor}` : ''}`,
    );
  }

  const audit = await api(admin, 'GET', `/audit?targetId=${firstId}`);
  say(`\n8. Audit trail of ${firstId} (GET /audit?targetId=…, never a token or hash):`);
  const items = Array.isArray(audit.body['items']) ? audit.body['items'] : [];
  for (const event of items) say(`   ${JSON.stringify(event)}`);

  say('\nAPI requests as the local gateway logged them:');
  for (const line of requests) say(`   ${line}`);
} finally {
  await stack.stop();
  rmSync(scratch, { recursive: true, force: true });
}
