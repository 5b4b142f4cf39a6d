/**
 * `tokens scan`: finds tokens in a text with the robust finder and prints hints, never tokens.
 * A dry run reports nothing; `--revoke` sends HMAC-signed batches to the generic intake (here a
 * fake one that checks the signature with the intake's own verifier) and prints its answers.
 */
import { Command } from 'commander';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerScanCommand } from '../../cli/commands/scan';
import { verifyWebhookSignature } from '../../shared/leaks/signatures';
import { displayHint, generateToken } from '../../shared/token/format';

const SECRET = 'a-webhook-secret-of-at-least-32-characters';
const dir = mkdtempSync(join(tmpdir(), 'scan-'));
const received: { verified: boolean; count: number }[] = [];
let server: Server;
let url = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      const header = (name: string) => {
        const value = req.headers[name];
        return typeof value === 'string' ? value : undefined;
      };
      const verdict = verifyWebhookSignature(
        body,
        header('x-leak-timestamp'),
        header('x-leak-signature'),
        SECRET,
        Date.now(),
      );
      const items: unknown = JSON.parse(body);
      const count = Array.isArray(items) ? items.length : 0;
      received.push({ verified: verdict.ok, count });
      res.writeHead(verdict.ok ? 200 : 401, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify(
          verdict.ok
            ? {
                results: Array.from({ length: count }, (_, index) => ({
                  index,
                  hint: '…',
                  outcome: 'revoked',
                  tokenId: `tok_${String(index)}`,
                })),
              }
            : { message: 'Unauthorized' },
        ),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  url = `http://127.0.0.1:${String(address.port)}/leaks`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

async function scan(args: string[], env: Record<string, string> = {}) {
  let out = '';
  const program = new Command('tokens').exitOverride();
  registerScanCommand(program, { io: { out: (t) => (out += t), err: (t) => (out += t), env } });
  let error: unknown;
  try {
    await program.parseAsync(['scan', ...args], { from: 'user' });
  } catch (e) {
    error = e;
  }
  return { out, error };
}

function fileWith(text: string): string {
  const path = join(dir, `${String(Math.random()).slice(2)}.log`);
  writeFileSync(path, text);
  return path;
}

const live = generateToken();
const test = generateToken('sk_test_');
const text = [
  'GET /orders 200',
  `Authorization: Bearer ${live}`,
  `url=https://x/?t=${encodeURIComponent(encodeURIComponent(test))}`,
  `again ${live}`,
  'sk_notatoken',
].join('\n');

describe('tokens scan', () => {
  it('prints each token found once, as a hint with its line, and reports nothing by default', async () => {
    const before = received.length;
    const { out, error } = await scan([fileWith(text)]);
    expect(error).toBeUndefined();
    expect(out).toContain(`${displayHint(live)}  line 2`);
    expect(out).toContain(`${displayHint(test)}  line 3`);
    expect(out).toContain('2 token(s) found. Dry run');
    expect(out).not.toContain(live);
    expect(out).not.toContain(test);
    expect(received.length).toBe(before);
  });

  it('says so when there is nothing', async () => {
    expect((await scan([fileWith('nothing here sk_abc')])).out).toMatch(/No service tokens found/);
  });

  it('with --revoke reports them signed to the intake and prints its answer by hint', async () => {
    const { out, error } = await scan(['--revoke', '--url', url, fileWith(text)], {
      LEAK_WEBHOOK_SECRET: SECRET,
    });
    expect(error).toBeUndefined();
    expect(received.at(-1)).toEqual({ verified: true, count: 2 });
    expect(out).toContain(`${displayHint(live)}  line 2  revoked  tok_0`);
    expect(out).not.toContain(live);
  });

  it('reports in batches of at most 100', async () => {
    const many = Array.from({ length: 150 }, () => generateToken()).join('\n');
    const before = received.length;
    await scan(['--revoke', '--url', url, fileWith(many)], { LEAK_WEBHOOK_SECRET: SECRET });
    expect(received.slice(before).map((r) => r.count)).toEqual([100, 50]);
  });

  it('fails with exit code 1 when the intake refuses the signature, and 2 without a secret', async () => {
    const refused = await scan(['--revoke', '--url', url, fileWith(text)], {
      LEAK_WEBHOOK_SECRET: 'wrong-secret-wrong-secret-wrong!!',
    });
    expect(refused.error).toMatchObject({ exitCode: 1 });
    const missing = await scan(['--revoke', '--url', url, fileWith(text)]);
    expect(missing.error).toMatchObject({ exitCode: 2 });
  });

  it('sends tokens to https intakes only (plain http to this machine), nothing otherwise', async () => {
    const before = received.length;
    const env = { LEAK_WEBHOOK_SECRET: SECRET };
    for (const where of ['http://intake.example/v1/leaks', 'http://10.0.0.8/leaks']) {
      const { error } = await scan(['--revoke', '--url', where, fileWith(text)], env);
      expect(error).toMatchObject({ exitCode: 2 });
      expect(String(error)).toMatch(/--url must be https/);
    }
    expect(received.length).toBe(before);
  });

  it('fails with exit code 2 for a file it cannot read, naming no content', async () => {
    expect((await scan([join(dir, 'missing.log')])).error).toMatchObject({ exitCode: 2 });
  });
});
