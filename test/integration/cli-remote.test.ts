/**
 * The `tokens` CLI as a team uses it: over HTTP against the local stack, logged in with its own
 * non-admin token and acting with that token's rights. The JSON of every command, errors
 * included, has a pinned shape that scripts can rely on.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { freePort } from '../../local/emulators/child-process';
import { findTokens, generateToken } from '../../shared/token/format';
import { remoteCliRunner } from '../support/cli';
import { killChildren, startStack, type Running } from '../support/local-stack';
import { CLI_JSON_ERROR } from '../support/cli-json';

const issued = z.object({ token: z.string(), tokenId: z.string() });
const keysOf = (text: string) =>
  Object.keys(z.record(z.string(), z.unknown()).parse(JSON.parse(text))).sort();

/** The top-level keys of each command's `--json` answer: a script's contract. */
const JSON_KEYS = {
  login: ['admin', 'apiUrl', 'credentials', 'expiresAt', 'name', 'owner', 'scopes', 'tokenId'],
  whoami: ['admin', 'expiresAt', 'name', 'owner', 'scopes', 'tokenId'],
  create: [
    'createdAt',
    'expiresAt',
    'hint',
    'name',
    'owner',
    'scopes',
    'status',
    'token',
    'tokenId',
    'warning',
  ],
  list: ['items'],
  show: ['createdAt', 'expiresAt', 'hint', 'name', 'owner', 'scopes', 'status', 'tokenId'],
  usage: ['createdAt', 'lastUsedAt', 'note', 'status', 'tokenId', 'useCount'],
  // A successor: it names the token it replaced.
  rotate: [
    'createdAt',
    'expiresAt',
    'hint',
    'name',
    'owner',
    'predecessor',
    'rotatedFrom',
    'scopes',
    'status',
    'token',
    'tokenId',
    'warning',
  ],
  revoke: [
    'changed',
    'createdAt',
    'expiresAt',
    'hint',
    'name',
    'owner',
    'revokeReason',
    'revokedAt',
    'rotatedFrom',
    'scopes',
    'status',
    'tokenId',
  ],
  apis: ['items'],
  logout: ['credentials', 'removed'],
};

const REQUEST_KEYS = [
  'owner',
  'reason',
  'requestId',
  'requestedAt',
  'requestedBy',
  'state',
  'tokenId',
  'tokenName',
];
const DECISION_KEYS = [...REQUEST_KEYS, 'decidedAt', 'decidedBy', 'decisionNote'];
const ADMIN_JSON_KEYS = {
  'request-rotation': REQUEST_KEYS,
  requests: ['items'],
  approve: [
    ...DECISION_KEYS,
    'grantExpiresAt',
    'successorExpiresBy',
    'successorGraceDays',
    'successorLifetimeDays',
  ].sort(),
  reject: [...DECISION_KEYS, 'closedAt'].sort(),
  execute: [...JSON_KEYS.rotate, 'requestId'].sort(),
  bootstrap: [...JSON_KEYS.create, 'kind', 'tokenExpiresBy', 'tokenLifetimeDays'].sort(),
  audit: ['items'],
  'emergency-revoke': ['alreadyRevoked', 'cacheFlushed', 'complete', 'failed', 'revoked'],
};

describe('the tokens CLI over the API, with a team token', { timeout: 180_000 }, () => {
  const scratch = mkdtempSync(join(tmpdir(), 'cli-remote-'));
  const adminFile = join(scratch, 'admin', 'credentials.json');
  const teamFile = join(scratch, 'team', 'credentials.json');
  const admin = remoteCliRunner({ SERVICE_TOKENS_CONFIG: adminFile });
  const team = remoteCliRunner({ SERVICE_TOKENS_CONFIG: teamFile });
  let stack: Running;
  /** The CLI with `token` in the environment, as CI would run it. */
  const withToken = (token: string | undefined) =>
    remoteCliRunner({ SERVICE_TOKENS_URL: stack.url, SERVICE_TOKENS_TOKEN: token ?? '' });

  beforeAll(async () => {
    const port = await freePort();
    stack = await startStack(['--port', String(port), '--data-dir', join(scratch, 'data')]);
  }, 180_000);

  afterAll(() => {
    killChildren();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('logs in, creates, lists, rotates and revokes its own tokens, and is refused on others', async () => {
    const adminLogin = await admin(['login', '--api-url', stack.url], stack.adminToken);
    expect(adminLogin).toMatchObject({ code: 0, err: '' });
    const created = await admin([
      '--json',
      'create',
      '--name',
      'team-cli',
      '--owner',
      'team-cli',
      '--scope',
      'tokens:read',
      'tokens:write',
    ]);
    const teamToken = issued.parse(JSON.parse(created.out));

    const login = await team(['--json', 'login', '--api-url', stack.url], teamToken.token);
    expect(login.code).toBe(0);
    expect(keysOf(login.out)).toEqual(JSON_KEYS.login);
    // The credentials file holds the token, and nobody else may read it.
    expect(statSync(teamFile).mode & 0o777).toBe(0o600);
    expect(statSync(join(scratch, 'team')).mode & 0o777).toBe(0o700);
    expect(readFileSync(teamFile, 'utf8')).toContain(teamToken.token);

    const whoami = await team(['--json', 'whoami']);
    expect(JSON.parse(whoami.out)).toMatchObject({
      tokenId: teamToken.tokenId,
      owner: 'team-cli',
      admin: false,
    });
    const own = await team(['--json', 'create', '--name', 'worker', '--scope', 'tokens:read']);
    expect(own.code).toBe(0);
    const worker = issued.parse(JSON.parse(own.out));
    const list = await team(['--json', 'list']);
    expect(
      z
        .object({ items: z.array(z.object({ tokenId: z.string() })) })
        .parse(JSON.parse(list.out))
        .items.map((t) => t.tokenId),
    ).toEqual(expect.arrayContaining([worker.tokenId, teamToken.tokenId]));
    const show = await team(['--json', 'show', worker.tokenId]);
    const usage = await team(['--json', 'usage', worker.tokenId]);
    const rotated = await team(['--json', 'rotate', worker.tokenId, '--grace-days', '0']);
    const successor = issued.parse(JSON.parse(rotated.out));
    const revoked = await team(['--json', 'revoke', successor.tokenId, '--reason', 'cli test']);
    expect(JSON.parse(revoked.out)).toMatchObject({
      tokenId: successor.tokenId,
      status: 'revoked',
      changed: true,
    });
    const apis = await team(['--json', 'apis']);
    expect({
      whoami: keysOf(whoami.out),
      create: keysOf(own.out),
      list: keysOf(list.out),
      show: keysOf(show.out),
      usage: keysOf(usage.out),
      rotate: keysOf(rotated.out),
      revoke: keysOf(revoked.out),
      apis: keysOf(apis.out),
    }).toEqual({
      whoami: JSON_KEYS.whoami,
      create: JSON_KEYS.create,
      list: JSON_KEYS.list,
      show: JSON_KEYS.show,
      usage: JSON_KEYS.usage,
      rotate: JSON_KEYS.rotate,
      revoke: JSON_KEYS.revoke,
      apis: JSON_KEYS.apis,
    });

    // Another owner's token does not exist for this team; the audit trail is for admins.
    const adminId = z
      .object({ tokenId: z.string() })
      .parse(JSON.parse((await admin(['--json', 'whoami'])).out)).tokenId;
    for (const [argv, code, status] of [
      [['--json', 'revoke', adminId], 'not-found', 404],
      [['--json', 'show', adminId], 'not-found', 404],
      [['--json', 'audit', '--token', worker.tokenId], 'forbidden', 403],
    ] as const) {
      const refused = await team(argv);
      expect({ argv, exit: refused.code, out: refused.out }).toEqual({ argv, exit: 2, out: '' });
      expect(CLI_JSON_ERROR.parse(JSON.parse(refused.err)).error).toMatchObject({
        code,
        status,
        exitCode: 2,
      });
    }
    expect(JSON.parse((await admin(['--json', 'show', adminId])).out)).toMatchObject({
      status: 'active',
    });

    const everything = [adminLogin, login, whoami, own, list, show, usage, revoked, apis]
      .map((r) => r.out + r.err)
      .join('');
    expect(findTokens(everything).filter((t) => t !== worker.token)).toEqual([]);

    const logout = await team(['--json', 'logout']);
    expect(keysOf(logout.out)).toEqual(JSON_KEYS.logout);
    const after = await team(['--json', 'whoami']);
    expect(after.code).toBe(2);
    expect(CLI_JSON_ERROR.parse(JSON.parse(after.err)).error.code).toBe('not-logged-in');
  });

  it('runs the admin and rotation-request commands, each JSON answer of a pinned shape', async () => {
    const root = withToken(stack.adminToken);
    const owner = issued.parse(
      JSON.parse(
        (
          await root([
            '--json',
            'create',
            '--name',
            'asker',
            '--owner',
            'team-ask',
            '--scope',
            'tokens:read',
          ])
        ).out,
      ),
    );
    const asker = withToken(owner.token);
    const asked = await asker([
      '--json',
      'request-rotation',
      owner.tokenId,
      '--reason',
      'pasted in a ticket',
    ]);
    const { requestId } = z.object({ requestId: z.string() }).parse(JSON.parse(asked.out));
    const pending = await root(['--json', 'requests']);
    const approved = await root(['--json', 'approve', owner.tokenId, requestId, '--note', 'ok']);
    const executed = await asker(['--json', 'execute', owner.tokenId, requestId]);
    // The successor asks again, and is turned down.
    const next = issued.parse(JSON.parse(executed.out));
    const nextAsker = withToken(next.token);
    const second = await nextAsker([
      '--json',
      'request-rotation',
      next.tokenId,
      '--reason',
      'again please',
    ]);
    const secondId = z.object({ requestId: z.string() }).parse(JSON.parse(second.out)).requestId;
    const rejected = await root([
      '--json',
      'reject',
      next.tokenId,
      secondId,
      '--note',
      'not needed',
    ]);
    const bootstrap = await root([
      '--json',
      'bootstrap',
      '--name',
      'new-svc',
      '--owner',
      'team-ask',
      '--scope',
      'tokens:read',
    ]);
    const audit = await root(['--json', 'audit', '--token', owner.tokenId]);
    const emergency = await root([
      '--json',
      'emergency-revoke',
      '--token',
      owner.tokenId,
      '--reason',
      'drill',
    ]);
    const cleanup = await root(['--json', 'cleanup']);

    expect(
      [asked, pending, approved, executed, second, rejected, bootstrap, audit, emergency].map(
        (r) => r.code,
      ),
    ).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect({
      'request-rotation': keysOf(asked.out),
      requests: keysOf(pending.out),
      approve: keysOf(approved.out),
      execute: keysOf(executed.out),
      reject: keysOf(rejected.out),
      bootstrap: keysOf(bootstrap.out),
      audit: keysOf(audit.out),
      'emergency-revoke': keysOf(emergency.out),
    }).toEqual(ADMIN_JSON_KEYS);
    expect(JSON.parse(emergency.out)).toMatchObject({
      revoked: [owner.tokenId],
      alreadyRevoked: 0,
      cacheFlushed: true,
    });
    // cleanup is the schedule's work on the tables: break-glass only.
    expect(cleanup.code).toBe(2);
    expect(CLI_JSON_ERROR.parse(JSON.parse(cleanup.err)).error.message).toMatch(/give --direct/);
  });

  it('takes SERVICE_TOKENS_URL and SERVICE_TOKENS_TOKEN over the file, and refuses a file others can read', async () => {
    const fromEnv = remoteCliRunner({
      SERVICE_TOKENS_URL: stack.url,
      SERVICE_TOKENS_TOKEN: stack.adminToken ?? '',
      SERVICE_TOKENS_CONFIG: join(scratch, 'none.json'),
    });
    expect(JSON.parse((await fromEnv(['--json', 'whoami'])).out)).toMatchObject({ admin: true });

    const loose = join(scratch, 'loose.json');
    writeFileSync(loose, JSON.stringify({ apiUrl: stack.url, token: stack.adminToken }), {
      mode: 0o644,
    });
    const refused = await remoteCliRunner({ SERVICE_TOKENS_CONFIG: loose })(['whoami']);
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/readable by others: chmod 600 it/);
  });

  it('never stores what is not a token, nor one the API refuses', async () => {
    const file = join(scratch, 'refused', 'credentials.json');
    const run = remoteCliRunner({ SERVICE_TOKENS_CONFIG: file });
    const garbage = await run(['login', '--api-url', stack.url], 'not a token');
    const unknown = await run(['--json', 'login', '--api-url', stack.url], generateToken());
    expect(garbage).toMatchObject({
      code: 2,
      err: 'error: That is not a service token (sk_…): nothing was stored\n',
    });
    expect(unknown.code).toBe(2);
    expect(CLI_JSON_ERROR.parse(JSON.parse(unknown.err)).error).toMatchObject({
      code: 'forbidden',
      status: 403,
    });
    expect(() => statSync(file)).toThrow();
  });

  it('reports an API that is not there as a network failure, exit 1, in JSON', async () => {
    const gone = `http://127.0.0.1:${String(await freePort())}`;
    const run = remoteCliRunner({
      SERVICE_TOKENS_URL: gone,
      SERVICE_TOKENS_TOKEN: stack.adminToken ?? '',
    });
    const result = await run(['--json', 'list']);
    expect(result.code).toBe(1);
    const { error } = CLI_JSON_ERROR.parse(JSON.parse(result.err));
    expect(error).toMatchObject({ code: 'network', exitCode: 1 });
    expect(error.message).toMatch(/ECONNREFUSED/);
    expect(result.err).not.toContain(stack.adminToken ?? 'sk_');
  });
});
