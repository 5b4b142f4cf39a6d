/**
 * ServiceTokenReader: a cached token is never sent after it stopped working. The cache age is
 * refused unless it is below the grace period, and a simulated rotation at any instant, with
 * reads at any instants, only ever hands out the new token or the old one within its grace.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { readerMaxAge, ServiceTokenReader } from '../../client/service-token-reader';
import { generateToken } from '../../shared/token/format';

const OLD = { token: generateToken(), tokenId: 'tok_0ld0ld0ld0ld0ld0', expiresAt: '2027-01-01' };
const NEW = { token: generateToken(), tokenId: 'tok_n3wn3wn3wn3wn3w', expiresAt: '2027-02-01' };
const NEWER = { token: generateToken(), tokenId: 'tok_n3w3rn3w3rn3w3r', expiresAt: '2027-03-01' };
const START = Date.parse('2026-12-01T00:00:00Z');

const secrets = mockClient(SecretsManagerClient);

/**
 * A reader on a mocked Secrets Manager whose AWSCURRENT moves to NEW at `rotatedAt`, and to
 * NEWER at `againAt` if given.
 */
function readerRotatingAt(
  rotatedAt: number,
  gracePeriodSeconds: number,
  maxAgeSeconds: number,
  againAt = Infinity,
) {
  secrets.reset();
  secrets.on(GetSecretValueCommand).callsFake(() => ({
    SecretString: JSON.stringify(Date.now() < rotatedAt ? OLD : Date.now() < againAt ? NEW : NEWER),
  }));
  const provider = new SecretsProvider({ awsSdkV3Client: new SecretsManagerClient({}) });
  return new ServiceTokenReader({ secretId: 'svc', gracePeriodSeconds, maxAgeSeconds, provider });
}

describe('ServiceTokenReader', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('only accepts a cache age below the grace period, and defaults to a tenth of it, at most 5 min', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 90 * 86_400 }), fc.nat(100 * 86_400), (grace, age) => {
        if (age < grace) expect(readerMaxAge(grace, age)).toBe(age);
        else expect(() => readerMaxAge(grace, age)).toThrow(/below the grace period/);
        const byDefault = readerMaxAge(grace);
        expect(byDefault).toBeLessThan(grace);
        expect(byDefault).toBeLessThanOrEqual(300);
      }),
    );
    expect(readerMaxAge(7 * 86_400)).toBe(300);
    expect(() => readerMaxAge(0)).toThrow(/no grace period/);
    expect(() => readerMaxAge(600, 1.5)).toThrow(/whole number/);
  });

  it('never hands out a token past its grace, wherever the rotation falls among the reads', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 3600 }).chain((grace) =>
          fc.record({
            grace: fc.constant(grace),
            maxAge: fc.integer({ min: 0, max: grace - 1 }),
            rotateAfterMs: fc.integer({ min: 0, max: 7_200_000 }),
            gapsMs: fc.array(fc.integer({ min: 0, max: 600_000 }), { minLength: 1, maxLength: 30 }),
          }),
        ),
        async ({ grace, maxAge, rotateAfterMs, gapsMs }) => {
          vi.setSystemTime(START);
          const rotatedAt = START + rotateAfterMs;
          const reader = readerRotatingAt(rotatedAt, grace, maxAge);
          for (const gap of gapsMs) {
            vi.setSystemTime(Date.now() + gap);
            const token = await reader.token();
            const works = token === NEW.token || Date.now() <= rotatedAt + grace * 1000;
            expect(works).toBe(true);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('stays right across two rotations at least maxAge apart: a token ends at its grace or at the next finishSecret', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 3600 }).chain((grace) =>
          fc.record({
            grace: fc.constant(grace),
            maxAge: fc.integer({ min: 0, max: grace - 1 }),
            firstMs: fc.integer({ min: 0, max: 3_600_000 }),
            apartMs: fc.integer({ min: 0, max: 3_600_000 }),
            gapsMs: fc.array(fc.integer({ min: 0, max: 300_000 }), { minLength: 1, maxLength: 40 }),
          }),
        ),
        async ({ grace, maxAge, firstMs, apartMs, gapsMs }) => {
          vi.setSystemTime(START);
          const first = START + firstMs;
          // The second rotation's finishSecret ends OLD (no longer AWSCURRENT or AWSPREVIOUS).
          const second = first + maxAge * 1000 + 1 + apartMs;
          const reader = readerRotatingAt(first, grace, maxAge, second);
          const endOf = new Map([
            [OLD.token, Math.min(first + grace * 1000, second)],
            [NEW.token, second + grace * 1000],
            [NEWER.token, Infinity],
          ]);
          for (const gap of gapsMs) {
            vi.setSystemTime(Date.now() + gap);
            const token = await reader.token();
            expect(Date.now()).toBeLessThanOrEqual(endOf.get(token) ?? -1);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('reuses the cached token within its age, and refresh() reads at once', async () => {
    vi.setSystemTime(START);
    const reader = readerRotatingAt(START + 1000, 3600, 60);
    expect(await reader.token()).toBe(OLD.token);
    vi.setSystemTime(START + 30_000);
    expect(await reader.token()).toBe(OLD.token);
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    expect((await reader.refresh()).tokenId).toBe(NEW.tokenId);
    expect(secrets.commandCalls(GetSecretValueCommand)[0]?.args[0].input).toMatchObject({
      SecretId: 'svc',
      VersionStage: 'AWSCURRENT',
    });
  });

  it('refuses a secret that is not JSON without quoting any of it', async () => {
    secrets.reset();
    secrets.on(GetSecretValueCommand).resolves({ SecretString: `${OLD.token} plain text` });
    const provider = new SecretsProvider({ awsSdkV3Client: new SecretsManagerClient({}) });
    const reader = new ServiceTokenReader({ secretId: 'svc', gracePeriodSeconds: 60, provider });
    const error = await reader.token().then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(String(error)).toContain('holds no service token yet');
    expect(String(error)).not.toContain(OLD.token.slice(0, 8));
  });

  it('refuses a secret with no token yet, without echoing what it holds', async () => {
    secrets.reset();
    secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ token: 'x' }) });
    const provider = new SecretsProvider({ awsSdkV3Client: new SecretsManagerClient({}) });
    const reader = new ServiceTokenReader({ secretId: 'svc', gracePeriodSeconds: 60, provider });
    await expect(reader.token()).rejects.toThrow(
      'The secret svc holds no service token yet (its first rotation has not run) or not one this platform wrote',
    );
  });
});
