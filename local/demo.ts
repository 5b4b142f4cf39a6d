/**
 * `npm start`: the token core and token store end to end on DynamoDB Local, no AWS account.
 * Issues a token, verifies it, rotates it (both valid during grace), revokes, and shows the
 * audit trail. Add `--keep` to leave the emulator running for exploration.
 */
import { displayHint, generateToken, generateTokenId, hashToken } from '../shared/token/format';
import { verifyToken } from '../shared/token/verify';
import { TokenStore } from '../shared/store/token-store';
import { localDynamoClient, startDynamoDbLocal } from './dynamodb-local';
import { createTables } from './tables';

const DAY_MS = 86_400_000;
const keep = process.argv.includes('--keep');

const started = Date.now();
const dynamo = await startDynamoDbLocal();
const client = localDynamoClient(dynamo.endpoint);
const tables = { tokens: 'service-tokens', audit: 'service-tokens-audit' };
await createTables(client, tables);
console.log(`DynamoDB Local ready at ${dynamo.endpoint} in ${Date.now() - started} ms`);

const store = new TokenStore({ client, tokensTable: tables.tokens, auditTable: tables.audit });
const actor = { actor: 'local:demo' };
const verify = (token: string) =>
  verifyToken(token, { lookup: (hash) => store.getByHash(hash), now: () => new Date() });
const show = async (label: string, token: string) => {
  const verdict = await verify(token);
  const outcome = verdict.allowed
    ? `allowed${verdict.inGrace ? ' (predecessor in grace)' : ''}`
    : `denied: ${verdict.reason}`;
  console.log(`  ${label.padEnd(28)} ${displayHint(token).padEnd(12)} ${outcome}`);
};

async function issue(name: string, rotatedFrom?: string) {
  const token = generateToken();
  const now = new Date();
  const record = await store.create(
    {
      tokenHash: hashToken(token),
      tokenId: generateTokenId(),
      name,
      owner: 'team-payments',
      scopes: ['payments:read'],
      hint: displayHint(token),
      createdAt: now,
      expiresAt: new Date(now.getTime() + 90 * DAY_MS),
      ...(rotatedFrom === undefined ? {} : { rotatedFrom }),
    },
    actor,
  );
  return { token, record };
}

try {
  const first = await issue('payments-ci');
  console.log(
    `\n1. Issued ${first.record.tokenId} (${first.record.hint}). The plaintext is shown once:`,
  );
  console.log(`   ${first.token}`);
  console.log('   Only its SHA-256 hash is stored.\n');

  console.log('2. Verification (format + checksum offline, then one GetItem by hash):');
  await show('issued token', first.token);
  await show(
    'one character changed',
    first.token.slice(0, -1) + (first.token.endsWith('A') ? 'B' : 'A'),
  );
  await show('unknown but well-formed', generateToken());

  const second = await issue('payments-ci', first.record.tokenId);
  await store.markRotated(
    first.record.tokenHash,
    { successorId: second.record.tokenId, graceUntil: new Date(Date.now() + 7 * DAY_MS) },
    actor,
  );
  console.log(`\n3. Rotated to ${second.record.tokenId}; the old token has 7 days of grace:`);
  await show('new token', second.token);
  await show('old token', first.token);

  await store.revoke(first.record.tokenHash, { ...actor, reason: 'demo: emergency revoke' });
  console.log('\n4. Revoked the old token early:');
  await show('new token', second.token);
  await show('old token', first.token);

  console.log(`\n5. Audit trail of ${first.record.tokenId} (no secrets in it):`);
  for (const event of (await store.listAudit(first.record.tokenId)).items.reverse()) {
    console.log(
      `  ${event.at}  ${event.action.padEnd(14)} by ${event.actor}`,
      event.reason ?? '',
      event.details === undefined ? '' : JSON.stringify(event.details),
    );
  }
  if (keep) {
    console.log(
      `\nDynamoDB Local keeps running at ${dynamo.endpoint} (tables: ${tables.tokens}, ${tables.audit}). Ctrl-C stops it.`,
    );
    await new Promise<void>((resolve) => {
      process.once('SIGINT', () => {
        resolve();
      });
    });
  }
} finally {
  client.destroy();
  await dynamo.stop();
}
