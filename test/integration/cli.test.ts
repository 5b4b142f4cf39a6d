/**
 * The `tokens` CLI against DynamoDB Local: in-process for the command matrix, and once as a
 * real process through its bin entry, the way an operator runs it.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { z } from 'zod';
import { LOCAL_AWS_ENV } from '../../local/aws/clients';
import { findTokens } from '../../shared/token/format';
import { verifyToken } from '../../shared/token/verify';
import { cliRunner } from '../support/cli';
import { useDynamo } from '../support/dynamo';

const dynamo = useDynamo();
const ROOT = join(import.meta.dirname, '..', '..');

const cli = () => cliRunner(dynamo, ['--actor', 'test']);

const MOTO_ARN = 'arn:aws:sts::123456789012:user/moto';
const issued = z.object({ token: z.string(), tokenId: z.string() });

describe('tokens CLI: bootstrap tokens and rotation requests', () => {
  it('issues a bootstrap token, and lists, approves and rejects rotation requests', async () => {
    const run = cli();
    const stores = dynamo.stores();

    const boot = await run(
      '--json',
      'bootstrap',
      '--name',
      'billing',
      '--owner',
      'team-b',
      '--scope',
      'orders:read',
      '--expires-in-minutes',
      '30',
    );
    expect(boot.code).toBe(0);
    expect(boot.err).toMatch(/works once/);
    const bootstrap = issued.parse(JSON.parse(boot.out));
    expect(await stores.tokens.getById(bootstrap.tokenId)).toMatchObject({
      kind: 'bootstrap',
      owner: 'team-b',
    });

    const created = issued.parse(
      JSON.parse(
        (
          await run(
            '--json',
            'create',
            '--name',
            'svc',
            '--owner',
            'team-b',
            '--scope',
            'orders:read',
          )
        ).out,
      ),
    );
    const other = issued.parse(
      JSON.parse(
        (
          await run(
            '--json',
            'create',
            '--name',
            'svc2',
            '--owner',
            'team-b',
            '--scope',
            'orders:read',
          )
        ).out,
      ),
    );
    const ask = async (tokenId: string) => {
      const record = await stores.tokens.getById(tokenId);
      if (record === undefined) throw new Error('seeded token missing');
      return (
        (
          await stores.requests.requestRotation(
            record.tokenHash,
            { requestId: `rrq_${tokenId.slice(4)}`, reason: 'leaked in a log' },
            { actor: 'tok_ownerToken000000' },
          )
        ).record.rotationRequest?.requestId ?? ''
      );
    };
    const [first, second] = [await ask(created.tokenId), await ask(other.tokenId)];

    const pending = await run('requests');
    expect(pending.code).toBe(0);
    expect(pending.out).toContain(first);
    expect(pending.out).toContain(second);

    const approved = await run('approve', created.tokenId, first, '--note', 'ok');
    expect(approved).toMatchObject({ code: 0 });
    expect(approved.out).toMatch(new RegExp(`${first} approved: the grant can be used until `));
    const noReason = await run('reject', other.tokenId, second);
    expect(noReason.code).toBe(2);
    expect(noReason.err).toMatch(/reason is required/);
    expect((await run('reject', other.tokenId, second, '--note', 'not needed')).out).toContain(
      `${second} rejected`,
    );
    expect((await run('requests', '--state', 'approved')).out).toContain(first);
    expect((await run('approve', created.tokenId, first)).code).toBe(0); // same decision: no-op
    const wrong = await run('approve', other.tokenId, second);
    expect(wrong).toMatchObject({ code: 1 });
    expect(wrong.err).toMatch(/is rejected/);
    expect(findTokens(pending.out + approved.out)).toEqual([]);
  });
});

describe('tokens CLI', () => {
  it('runs the lifecycle: create, show, list, rotate, revoke, usage, audit, cleanup', async () => {
    const run = cli();
    const stores = dynamo.stores();
    const verify = (token: string) =>
      verifyToken(token, {
        lookup: (hash) => stores.tokens.getByHash(hash, { consistent: true }),
        now: () => new Date(),
      });

    const created = await run(
      '--json',
      'create',
      '--name',
      'payments-ci',
      '--owner',
      'team-a',
      '--scope',
      'orders:read',
      'orders:write',
      '--meta',
      'repo=payments',
    );
    expect(created.code).toBe(0);
    expect(created.err).toMatch(/WARNING: Store this token now/);
    const first = issued.parse(JSON.parse(created.out));
    expect(await verify(first.token)).toMatchObject({ allowed: true });

    const shown = await run('show', first.tokenId);
    expect(shown.out).toContain('owner         team-a');
    expect(shown.out).not.toContain(first.token);

    const listed = await run('list', '--owner', 'team-a');
    expect(listed.out).toContain(`${first.tokenId}  active`);

    const rotated = await run('--json', 'rotate', first.tokenId, '--grace-days', '1');
    const second = issued.parse(JSON.parse(rotated.out));
    expect(await verify(first.token)).toMatchObject({ allowed: true, inGrace: true });
    expect(await verify(second.token)).toMatchObject({ allowed: true });

    expect((await run('revoke', first.tokenId, '--reason', 'done')).out).toBe(
      `${first.tokenId} revoked\n`,
    );
    expect((await run('revoke', first.tokenId)).out).toBe(`${first.tokenId} was already revoked\n`);
    expect(await verify(first.token)).toMatchObject({ allowed: false, reason: 'revoked' });

    const usage = await run('--json', 'usage', second.tokenId);
    expect(JSON.parse(usage.out)).toMatchObject({ tokenId: second.tokenId, useCount: 0 });

    const audit = await run('audit', '--token', first.tokenId);
    expect(
      audit.out
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(/\s+/)[1]),
    ).toEqual(['token.revoked', 'token.rotated', 'token.created']);
    // The operator is who STS says (moto's default identity), with --actor as a note.
    expect(audit.out).toContain(`by iam:${MOTO_ARN} (test)`);

    expect((await run('cleanup')).out).toMatch(/^read 0, expired 0/);
    const everything = [shown, listed, usage, audit].map((r) => r.out + r.err).join('\n');
    expect(findTokens(everything)).toEqual([]);
  });

  it('emergency-revokes every token of an owner and says the cache was not flushed', async () => {
    const run = cli();
    for (const name of ['a', 'b', 'c']) {
      await run('create', '--name', name, '--owner', 'team-x', '--scope', 'orders:read');
    }
    const result = await run('emergency-revoke', '--owner', 'team-x', '--reason', 'leaked');
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/^revoked 3 token\(s\)/);
    expect(result.out).toContain('authorizer cache was not flushed');
    expect(result.out).toContain('Give --rest-api-id to flush it.');
    // Progress on stderr: how many, what is being done, and how long it took.
    expect(result.err).toMatch(
      /^revoking 3 live token\(s\) of team-x and flushing the authorizer caches…\nrevoking 3 live token\(s\) of team-x and flushing the authorizer caches: done in \d+\.\d s\n$/,
    );
    const json = await run('--json', 'emergency-revoke', '--owner', 'team-x', '--reason', 'again');
    expect(json.err).toBe('');
  });

  it.each([
    [
      ['create', '--name', 'x', '--owner', 'team-a', '--scope', 'Bad Scope'],
      2,
      'scopes.0: must look like "orders:read"',
    ],
    [
      ['create', '--name', 'x', '--owner', 'team-a', '--scope', 'a:b', '--expires-in-days', 'soon'],
      2,
      '--expires-in-days must be a whole number',
    ],
    [
      ['create', '--name', 'x', '--owner', 'team-a', '--scope', 'a:b', '--meta', 'novalue'],
      2,
      '--meta entries look like key=value',
    ],
    [['show', 'not-a-token-id'], 2, 'Invalid token id'],
    [['show', 'tok_0000000000000000'], 2, 'No token tok_0000000000000000'],
    [['list'], 2, 'owner is required'],
    [['emergency-revoke', '--reason', 'leak'], 2, 'give exactly one of "owner" or "tokenId"'],
    [['create', '--name', 'x'], 2, "required option '--scope <scope...>' not specified"],
    [['frobnicate'], 2, "unknown command 'frobnicate'"],
  ])('refuses %j with exit code %i and says why', async (argv, code, message) => {
    const run = cli();
    const before = await dynamo.scanAll(dynamo.tables().tokens);
    const result = await run(...argv);
    expect(result.code).toBe(code);
    expect(result.err).toContain(message);
    expect(await dynamo.scanAll(dynamo.tables().tokens)).toEqual(before);
  });

  it('lists the protected APIs, and refuses a token with a scope none of them knows', async () => {
    const run = cli();
    await dynamo.stores().apis.register(
      {
        apiId: 'b1ll1ng000',
        kind: 'http',
        stages: ['$default'],
        region: 'eu-west-1',
        account: '222222222222',
        routes: [{ method: 'GET', path: '/invoices', scopes: ['billing:read'] }],
      },
      'billing-stack/Registration',
    );

    const listed = await run('apis');
    const json = await run('--json', 'apis', '--limit', '1');
    const refused = await run(
      'create',
      '--name',
      'x',
      '--owner',
      'team-a',
      '--scope',
      'billing:write',
    );

    expect(listed.code).toBe(0);
    expect(listed.out.trim().split('\n')).toEqual([
      'rest  orders12ab  123456789012/us-east-1  stages prod  orders:admin orders:read orders:write',
      'http  b1ll1ng000  222222222222/eu-west-1  stages $default  billing:read',
    ]);
    expect(z.object({ cursor: z.string() }).parse(JSON.parse(json.out)).cursor).not.toBe('');
    expect(refused).toMatchObject({ code: 2, out: '' });
    expect(refused.err).toBe(
      'error: unknown scope billing:write: no registered API knows it; nearest known scope: billing:read\n',
    );
  });

  it('has --help for every command', async () => {
    const run = cli();
    const commands = [
      'create',
      'list',
      'show',
      'usage',
      'rotate',
      'revoke',
      'emergency-revoke',
      'audit',
      'apis',
      'cleanup',
    ];
    const top = await run('--help');
    expect(top.code).toBe(0);
    for (const command of commands) {
      expect(top.out).toContain(command);
      const help = await run(command, '--help');
      expect(help.code, command).toBe(0);
      expect(help.out).toContain(`Usage: tokens ${command}`);
    }
  });

  it('works as a real process through its bin entry', async () => {
    const exec = promisify(execFile);
    const env = {
      ...process.env,
      ...LOCAL_AWS_ENV,
      AWS_ENDPOINT_URL_DYNAMODB: inject('dynamoEndpoint'),
      AWS_ENDPOINT_URL_STS: inject('motoEndpoint'),
      TOKENS_TABLE_NAME: dynamo.tables().tokens,
      AUDIT_TABLE_NAME: dynamo.tables().audit,
      REGISTRY_TABLE_NAME: dynamo.tables().registry,
    };
    const bin = join(ROOT, 'node_modules', '.bin');
    const { stdout, stderr } = await exec(
      join(bin, 'tsx'),
      [
        join(ROOT, 'cli', 'tokens.ts'),
        '--direct',
        '--json',
        'create',
        '--name',
        'ci',
        '--owner',
        'team-a',
        '--scope',
        'orders:read',
      ],
      { env: { ...env, PATH: `${bin}:${process.env['PATH'] ?? ''}` } },
    );
    expect(issued.parse(JSON.parse(stdout)).token).toMatch(/^sk_/);
    expect(stderr).toContain('WARNING');
  });
});
