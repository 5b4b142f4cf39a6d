/**
 * The management API's access policy as pure rules (shared/api/access.ts): who may issue,
 * ask, decide and execute, which tokens the API never rotates, and the issuer's cap. No
 * emulator: each rule is a function of the caller and the token it acts on.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  askRefusal,
  decideRefusal,
  executeRefusal,
  isAdmin,
  issueRefusal,
  issuerLimits,
  maySee,
  refuseApiRotation,
  type Caller,
} from '../../shared/api/access';
import { ApiError } from '../../shared/api/errors';
import type { RotationRequest } from '../../shared/token/record';
import { tokenRecord } from '../support/tokens';

const caller = (overrides: Partial<Caller> = {}): Caller => ({
  tokenId: 'tok_caller',
  owner: 'team-a',
  scopes: ['tokens:write', 'orders:read'],
  requestId: 'req-1',
  ...overrides,
});
const admin = caller({ tokenId: 'tok_admin', owner: 'platform', scopes: ['admin'] });
const pending = (requestedBy: string): RotationRequest => ({
  requestId: 'rrq_1',
  state: 'pending',
  reason: 'leaked in a log',
  requestedBy,
  requestedAt: '2026-01-02T00:00:00.000Z',
});
const scope = fc.stringMatching(/^[a-z]{1,8}:[a-z]{1,8}$/);

describe('tenant isolation', () => {
  it('a caller sees its own owner’s tokens; an admin sees every owner’s', () => {
    expect(maySee(caller(), tokenRecord({ owner: 'team-a' }))).toBe(true);
    expect(maySee(caller(), tokenRecord({ owner: 'team-b' }))).toBe(false);
    expect(maySee(admin, tokenRecord({ owner: 'team-b' }))).toBe(true);
  });
});

describe('issuing: no escalation', () => {
  it('a non-admin issues only scopes it holds, for its own owner', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(scope, { maxLength: 5 }),
        fc.uniqueArray(scope, { maxLength: 5 }),
        (held, asked) => {
          const refusal = issueRefusal(caller({ scopes: held }), 'team-a', asked);
          const beyond = asked.filter((s) => !held.includes(s));
          expect(refusal === undefined).toBe(beyond.length === 0 || held.includes('admin'));
          if (refusal !== undefined) expect(refusal).toContain(beyond.join(', '));
        },
      ),
    );
    expect(issueRefusal(caller(), 'team-b', ['orders:read'])).toBe(
      'Only an admin can issue tokens for another owner',
    );
  });

  it('an admin issues anything, for any owner', () => {
    expect(issueRefusal(admin, 'team-b', ['billing:write'])).toBeUndefined();
  });
});

describe('the issuer’s cap', () => {
  it('a token never issues past its own expiry; an operator is not capped', () => {
    const record = tokenRecord({ expiresAt: '2026-03-01T00:00:00.000Z' });
    expect(issuerLimits(caller({ record }))).toEqual({ expiresBy: new Date(record.expiresAt) });
    expect(issuerLimits(caller({ operator: true }))).toEqual({});
  });

  it('a caller that was not re-checked issues nothing', () => {
    expect(issuerLimits(caller()).refusal).toMatch(/not re-checked/);
  });
});

describe('rotation requests: who may ask, decide and execute', () => {
  it('the token itself, a holder of all its scopes, or an admin may ask', () => {
    const target = tokenRecord({ tokenId: 'tok_target', scopes: ['orders:read', 'billing:write'] });
    expect(askRefusal(caller({ tokenId: 'tok_target', scopes: [] }), target)).toBeUndefined();
    expect(
      askRefusal(caller({ scopes: ['orders:read', 'billing:write'] }), target),
    ).toBeUndefined();
    expect(askRefusal(admin, target)).toBeUndefined();
    expect(askRefusal(caller(), target)).toMatch(/missing: billing:write/);
  });

  it('only an admin decides, and never the token that asked (four eyes)', () => {
    const target = tokenRecord({ rotationRequest: pending('tok_admin') });
    expect(decideRefusal(caller(), target, 'rrq_1', true)).toMatch(/Only an admin can approve/);
    expect(decideRefusal(caller(), target, 'rrq_1', false)).toMatch(/Only an admin can reject/);
    expect(decideRefusal(admin, target, 'rrq_1', true)).toMatch(/token that asked for it/);
    expect(
      decideRefusal(admin, tokenRecord({ rotationRequest: pending('tok_x') }), 'rrq_1', true),
    ).toBeUndefined();
  });

  it('an operator cannot decide its own request under another --actor note (property)', () => {
    const arn = 'arn:aws:sts::123456789012:assumed-role/breakglass/alice';
    const note = fc.option(fc.stringMatching(/^[\w .@:-]{1,64}$/), { nil: undefined });
    const as = (n: string | undefined) => (n === undefined ? `iam:${arn}` : `iam:${arn} (${n})`);
    fc.assert(
      fc.property(note, note, (asked, deciding) => {
        const target = tokenRecord({ rotationRequest: pending(as(asked)) });
        const operator = caller({ tokenId: as(deciding), scopes: ['admin'], operator: true });
        expect(decideRefusal(operator, target, 'rrq_1', true)).toMatch(/token that asked for it/);
      }),
    );
    const other = caller({
      tokenId: 'iam:arn:aws:sts::123456789012:assumed-role/breakglass/bob',
      scopes: ['admin'],
    });
    expect(
      decideRefusal(other, tokenRecord({ rotationRequest: pending(as('x')) }), 'rrq_1', true),
    ).toBeUndefined();
  });

  it('the grant goes to the token that asked for it, or an admin', () => {
    const target = tokenRecord({ rotationRequest: pending('tok_caller') });
    expect(executeRefusal(caller(), target, 'rrq_1')).toBeUndefined();
    expect(executeRefusal(caller({ tokenId: 'tok_other' }), target, 'rrq_1')).toMatch(
      /Only the token that asked/,
    );
    expect(executeRefusal(caller(), target, 'rrq_other')).toMatch(/Only the token that asked/);
    expect(executeRefusal(admin, target, 'rrq_other')).toBeUndefined();
  });
});

describe('tokens the API never rotates', () => {
  const refusal = (overrides: Parameters<typeof tokenRecord>[0]) => {
    try {
      refuseApiRotation(tokenRecord(overrides));
      return undefined;
    } catch (error) {
      expect(error).toBeInstanceOf(ApiError);
      return error instanceof ApiError ? `${String(error.status)} ${error.message}` : undefined;
    }
  };

  it('refuses a bootstrap token, a secret-held token (either mark) and an invalid scope, as 409', () => {
    expect(refusal({ kind: 'bootstrap' })).toBe(
      '409 tok_test is a bootstrap token: it is exchanged, not rotated',
    );
    expect(refusal({ secretId: 'arn:secret' })).toMatch(/^409 .*rotate the secret instead/);
    expect(refusal({ rotationId: 'rot-1' })).toMatch(/^409 .*rotate the secret instead/);
    expect(refusal({ scopes: ['not a scope'] })).toMatch(/^409 .*outside the scope grammar/);
    expect(refusal({})).toBeUndefined();
  });

  it('admin is the one scope that grants all', () => {
    expect(isAdmin({ scopes: ['admin'] })).toBe(true);
    expect(isAdmin({ scopes: ['tokens:write', 'tokens:read'] })).toBe(false);
  });
});
