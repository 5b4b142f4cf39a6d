import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig, storeConfigSchema } from '../../shared/config';

describe('parseConfig', () => {
  it('names every missing variable', () => {
    expect(() => parseConfig(storeConfigSchema, {})).toThrow(
      new ConfigError(
        'Invalid configuration: TOKENS_TABLE_NAME is not set; AUDIT_TABLE_NAME is not set',
      ),
    );
  });

  it('names an invalid variable and says what is wrong', () => {
    const env = { TOKENS_TABLE_NAME: 't', AUDIT_TABLE_NAME: 'a', TOKEN_PREFIX: 'SK-' };
    expect(() => parseConfig(storeConfigSchema, env)).toThrow(/TOKEN_PREFIX: must be lowercase/);
  });

  it('applies defaults', () => {
    const config = parseConfig(storeConfigSchema, {
      TOKENS_TABLE_NAME: 't',
      AUDIT_TABLE_NAME: 'a',
    });
    expect(config).toEqual({ TOKENS_TABLE_NAME: 't', AUDIT_TABLE_NAME: 'a', TOKEN_PREFIX: 'sk_' });
  });
});
