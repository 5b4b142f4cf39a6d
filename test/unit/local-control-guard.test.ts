/**
 * Who may use the local stack's control plane (the `/_local/…` commands and the emulated cache
 * flush): requests addressed to this machine by a loopback name and this port, not sent by a
 * web page of another origin. A DNS-rebinding page on evil.example that resolves to 127.0.0.1
 * reaches the port, but its requests still say `Host: evil.example`.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isLoopbackHost, refuseControlRequest, sameSecret } from '../../local/stack/control-guard';

const PORT = 3000;
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

describe('isLoopbackHost', () => {
  it.each([
    'localhost:3000',
    '127.0.0.1:3000',
    '[::1]:3000',
    'localhost',
    '127.0.0.1',
    'LocalHost:3000',
  ])('accepts %s', (host) => {
    expect(isLoopbackHost(host, PORT)).toBe(true);
  });

  it.each([
    'evil.example',
    'evil.example:3000',
    '127.0.0.1.evil.example',
    'localhost.evil.example',
    '',
    'localhost:3001',
    '[::1]:80',
    'localhost.',
    '127.0.0.2:3000',
    '127.1:3000',
    '::1',
    '0.0.0.0:3000',
  ])('refuses %j', (host) => {
    expect(isLoopbackHost(host, PORT)).toBe(false);
  });

  it('refuses a request without Host', () => {
    expect(isLoopbackHost(undefined, PORT)).toBe(false);
  });

  it("accepts a Host exactly when it is a loopback name with this server's port or none", () => {
    const decoys = fc.oneof(
      fc.constantFrom(
        'evil.example',
        '127.0.0.1.evil.example',
        'localhost.evil.example',
        'evil-localhost',
        'localhost.',
        '127.0.0.2',
        '127.1',
        '::1',
        '[::1',
        '0.0.0.0',
        '[::ffff:127.0.0.1]',
        '',
      ),
      fc.domain(),
      // No ':' in an arbitrary name, so that a port can only come from the suffix below.
      fc.string().filter((s) => !s.includes(':')),
    );
    const name = fc.oneof(
      fc.mixedCase(fc.constantFrom(...LOOPBACK_NAMES)).map((text) => ({ text, loopback: true })),
      decoys.map((text) => ({ text, loopback: LOOPBACK_NAMES.includes(text.toLowerCase()) })),
    );
    const port = fc.oneof(
      fc.constantFrom('', `:${String(PORT)}`).map((text) => ({ text, allowed: true })),
      fc
        .constantFrom(':', ':03000', ':3000 ', ':+3000', ':0x0bb8')
        .map((text) => ({ text, allowed: false })),
      fc
        .integer({ min: 0, max: 65_535 })
        .map((p) => ({ text: `:${String(p)}`, allowed: p === PORT })),
    );
    fc.assert(
      fc.property(name, port, (n, p) => {
        expect(isLoopbackHost(`${n.text}${p.text}`, PORT)).toBe(n.loopback && p.allowed);
      }),
      { numRuns: 2_000 },
    );
  });
});

describe('refuseControlRequest', () => {
  const own = { host: '127.0.0.1:3000' };

  it('lets a request from a local tool through (no Origin, no Sec-Fetch-Site)', () => {
    expect(refuseControlRequest(own, PORT)).toBeUndefined();
  });

  it('answers 421 Misdirected Request to a Host that is not a loopback name', () => {
    const refusal = refuseControlRequest({ host: 'evil.example:3000' }, PORT);
    expect(refusal?.status).toBe(421);
    expect(refusal?.message).toContain('only requests addressed to localhost, 127.0.0.1 or [::1]');
    expect(refuseControlRequest({}, PORT)?.status).toBe(421);
  });

  it.each(['http://evil.example', 'null', 'http://localhost:5173', 'https://localhost:3000'])(
    'answers 403 to a web page of another origin (Origin: %s)',
    (origin) => {
      const refusal = refuseControlRequest({ ...own, origin }, PORT);
      expect(refusal?.status).toBe(403);
      expect(refusal?.message).toContain('a web page of another origin');
    },
  );

  it("accepts this server's own origin under any loopback name", () => {
    for (const origin of ['http://127.0.0.1:3000', 'http://localhost:3000', 'http://[::1]:3000']) {
      expect(refuseControlRequest({ ...own, origin }, PORT)).toBeUndefined();
    }
  });

  it('answers 403 when the browser says the request comes from another site', () => {
    for (const site of ['cross-site', 'same-site']) {
      expect(refuseControlRequest({ ...own, 'sec-fetch-site': site }, PORT)?.status).toBe(403);
    }
    for (const site of ['same-origin', 'none']) {
      expect(refuseControlRequest({ ...own, 'sec-fetch-site': site }, PORT)).toBeUndefined();
    }
  });
});

describe('sameSecret', () => {
  it('accepts exactly the expected secret', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string(), (expected, given) => {
        expect(sameSecret(expected, expected)).toBe(true);
        expect(sameSecret(given, expected)).toBe(given === expected);
        expect(sameSecret(undefined, expected)).toBe(false);
      }),
    );
  });
});
