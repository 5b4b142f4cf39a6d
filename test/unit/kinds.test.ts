/** What each kind of token may do (shared/token/kinds.ts): the one table every rule asks. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  isSecretHeld,
  KIND_RULES,
  kindOf,
  kindRules,
  SILENT_KINDS,
  STORED_KINDS,
} from '../../shared/token/kinds';

describe('kinds of token', () => {
  it('treats a token without a stored kind as operational', () => {
    expect(kindOf({})).toBe('operational');
    expect(kindRules({})).toBe(KIND_RULES.operational);
    expect(kindOf({ kind: 'bootstrap' })).toBe('bootstrap');
  });

  it('lets an operational token authenticate, be rotated and get alerts, but not be exchanged', () => {
    expect(KIND_RULES.operational).toEqual({
      authenticates: true,
      getsAlerts: true,
      exchanges: false,
    });
  });

  it('lets a bootstrap token only be exchanged: it never authenticates, is never rotated or alerted', () => {
    expect(KIND_RULES.bootstrap).toEqual({
      authenticates: false,
      notRotated: 'it is exchanged, not rotated',
      getsAlerts: false,
      exchanges: true,
    });
  });

  it('silences exactly the stored kinds whose rules say they get no alerts', () => {
    expect(SILENT_KINDS).toEqual(STORED_KINDS.filter((kind) => !KIND_RULES[kind].getsAlerts));
    expect(SILENT_KINDS).toEqual(['bootstrap']);
  });

  it('gives every kind that is exchanged a reason it is not rotated: its one use is the exchange', () => {
    for (const rules of Object.values(KIND_RULES)) {
      if (rules.exchanges) expect(rules.notRotated).toBeDefined();
    }
  });

  it('recognises a token held in a secret by its secretId or, issued earlier, its rotationId', () => {
    fc.assert(
      fc.property(
        fc.option(fc.string(), { nil: undefined }),
        fc.option(fc.string(), { nil: undefined }),
        (secretId, rotationId) => {
          expect(isSecretHeld({ secretId, rotationId })).toBe(
            secretId !== undefined || rotationId !== undefined,
          );
        },
      ),
    );
  });
});
