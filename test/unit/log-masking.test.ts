/**
 * The pattern CloudWatch Logs masks: within CloudWatch's regex dialect (no groups, a short
 * character list, 200 characters), and matching every token of the deployment's prefix,
 * including one glued to its neighbours in a log line.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CLOUDWATCH_REGEX_CHARS, logMaskingPattern } from '../../shared/leaks/masking';
import { generateToken } from '../../shared/token/format';

const prefixes = fc.constantFrom('sk_', 'sk_test_', 'acme_', 'a1b2c3d4e5f6g7h8_live9_');

describe('log masking pattern', () => {
  it('is a CloudWatch Logs custom data identifier regex', () => {
    fc.assert(
      fc.property(prefixes, (prefix) => {
        const pattern = logMaskingPattern(prefix);
        expect(pattern).toMatch(CLOUDWATCH_REGEX_CHARS);
        expect(pattern).not.toMatch(/[()]/);
      }),
    );
  });

  it('matches every token of the prefix, wherever it sits in a line', () => {
    fc.assert(
      fc.property(prefixes, fc.string(), fc.string(), (prefix, before, after) => {
        const token = generateToken(prefix);
        const masked = `${before}${token}${after}`.replace(
          new RegExp(logMaskingPattern(prefix), 'g'),
          '****',
        );
        expect(masked).not.toContain(token.slice(prefix.length, prefix.length + 40));
      }),
    );
  });

  it('covers the default family sk_<env>_ under the default prefix', () => {
    expect(generateToken('sk_live_')).toMatch(new RegExp(logMaskingPattern('sk_')));
  });

  it('refuses a prefix that is not one', () => {
    expect(() => logMaskingPattern('SK-')).toThrow(/Invalid token prefix/);
  });
});
