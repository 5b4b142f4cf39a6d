/**
 * Pagination cursors, without DynamoDB: a cursor decodes only in exactly the spelling the
 * store writes, and a token it names must hold (or have held) that position of that index.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  auditCursor,
  decodeCursor,
  encodeCursor,
  expiryCursor,
  ownerCursor,
  tokenStartKey,
} from '../../shared/store/cursor';
import { TokenStoreError } from '../../shared/store/errors';
import { tokenRecord } from '../support/tokens';

const timestamp = fc
  .date({ noInvalidDate: true, min: new Date(0), max: new Date(Date.UTC(9999, 0)) })
  .map((d) => d.toISOString());
const tokenId = fc.stringMatching(/^tok_[0-9A-Za-z]{16}$/);

function refusal(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    return error instanceof TokenStoreError ? error.code : 'other error';
  }
}

describe('cursor encoding', () => {
  it('decodes exactly the key it encoded', () => {
    fc.assert(
      fc.property(timestamp, tokenId, (createdAt, id) => {
        const key = { owner: 'team-a', createdAt, tokenId: id };
        const shape = ownerCursor('team-a');
        expect(decodeCursor(shape, encodeCursor(shape, key))).toEqual(key);
      }),
    );
  });

  it('refuses any text that is not the canonical cursor of its query', () => {
    const shape = auditCursor('day', '2026-11-23');
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v)).toString('base64url')),
        ),
        (text) => {
          const code = refusal(() => decodeCursor(shape, text));
          expect(code === undefined || code === 'invalid-cursor').toBe(true);
          if (code === undefined) expect(encodeCursor(shape, decodeCursor(shape, text))).toBe(text);
        },
      ),
    );
  });

  it.each([
    ['a second spelling of the instant', { createdAt: '2026-11-23T10:00:00Z' }],
    ['a day that does not exist', { createdAt: '2026-02-30T00:00:00.000Z' }],
    ['another owner', { owner: 'team-b' }],
    ['a malformed token id', { tokenId: 'tok_short' }],
  ])('refuses %s', (_, change) => {
    const shape = ownerCursor('team-a');
    const key = {
      owner: 'team-a',
      createdAt: '2026-11-23T10:00:00.000Z',
      tokenId: 'tok_0123456789abcdef',
    };
    const text = Buffer.from(JSON.stringify({ ...key, ...change })).toString('base64url');
    expect(refusal(() => decodeCursor(shape, text))).toBe('invalid-cursor');
  });
});

describe('a cursor naming a token', () => {
  const position = { owner: 'team-a', createdAt: '2026-01-01T00:00:00.000Z', tokenId: 'tok_test' };

  it('starts after the token it names, by hash', () => {
    expect(tokenStartKey(ownerCursor('team-a'), position, tokenRecord())).toEqual({
      owner: 'team-a',
      createdAt: '2026-01-01T00:00:00.000Z',
      tokenHash: 'a'.repeat(64),
    });
  });

  it.each([
    ['no token', undefined],
    ["another owner's token", tokenRecord({ owner: 'team-b' })],
    ['a token at another position', tokenRecord({ createdAt: '2026-01-02T00:00:00.000Z' })],
  ])('is refused when it names %s', (_, record) => {
    expect(refusal(() => tokenStartKey(ownerCursor('team-a'), position, record))).toBe(
      'invalid-cursor',
    );
  });

  it('keeps its place in the expiry index after a rotation moved the token', () => {
    const rotated = tokenRecord({ graceUntil: '2026-06-01T00:00:00.000Z' });
    const range = { from: '2026-01-01T00:00:00.000Z', until: '2027-01-01T00:00:00.000Z' };
    const atExpiry = { expiryPartition: 'live', endsAt: rotated.expiresAt, tokenId: 'tok_test' };
    expect(tokenStartKey(expiryCursor(range), atExpiry, rotated)).toMatchObject({
      endsAt: rotated.expiresAt,
    });
  });

  it('starts the expiry window afresh once the window has moved past it, refuses one beyond it', () => {
    const key = {
      expiryPartition: 'live',
      endsAt: '2026-12-01T00:00:00.000Z',
      tokenId: 'tok_test',
    };
    const later = expiryCursor({
      from: '2026-12-02T00:00:00.000Z',
      until: '2027-01-01T00:00:00.000Z',
    });
    const earlier = expiryCursor({
      from: '2026-01-01T00:00:00.000Z',
      until: '2026-11-01T00:00:00.000Z',
    });
    expect(tokenStartKey(later, key, tokenRecord())).toBeUndefined();
    expect(refusal(() => tokenStartKey(earlier, key, tokenRecord()))).toBe('invalid-cursor');
  });
});
