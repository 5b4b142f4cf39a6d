import { describe, expect, it } from 'vitest';
import {
  alertsConfigSchema,
  authorizerConfigSchema,
  cleanupConfigSchema,
  ConfigError,
  parseConfig,
  rotationConfigSchema,
  stageFlusherConfigSchema,
  storeConfigSchema,
} from '../../shared/config';

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

describe('schedule configuration', () => {
  const tables = { TOKENS_TABLE_NAME: 't', AUDIT_TABLE_NAME: 'a' };
  const topic = 'arn:aws:sns:eu-west-1:123456789012:alerts';

  it('runs on the system clock unless told otherwise', () => {
    expect(parseConfig(alertsConfigSchema, { ...tables, ALERT_TOPIC_ARN: topic })).toMatchObject({
      CLOCK_SOURCE: 'system',
    });
    expect(parseConfig(cleanupConfigSchema, tables)).toMatchObject({
      CLOCK_SOURCE: 'system',
      RETENTION_DAYS: 90,
    });
  });

  it.each([
    [
      alertsConfigSchema,
      { ...tables, ALERT_TOPIC_ARN: 'alerts' },
      /ALERT_TOPIC_ARN: must be an SNS topic ARN/,
    ],
    [
      alertsConfigSchema,
      { ...tables, ALERT_TOPIC_ARN: topic, CLOCK_SOURCE: 'wall' },
      /CLOCK_SOURCE/,
    ],
    [cleanupConfigSchema, { ...tables, RETENTION_DAYS: '0' }, /RETENTION_DAYS/],
    [cleanupConfigSchema, { ...tables, RETENTION_DAYS: 'ninety' }, /RETENTION_DAYS/],
  ])('refuses a bad value (%#)', (schema, env, message) => {
    expect(() => parseConfig(schema, env)).toThrow(message);
  });
});

describe('scopes in configuration (checked at cold start)', () => {
  const tables = { TOKENS_TABLE_NAME: 't', AUDIT_TABLE_NAME: 'a' };
  const secretArn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders-AbCdEf';
  const specs = (scopes: string[]) =>
    JSON.stringify([{ secretArn, name: 'orders', owner: 'team-a', scopes }]);
  const routes = (scopes: string[]) => JSON.stringify([{ method: 'GET', path: '/orders', scopes }]);

  it('accepts the scopes in use', () => {
    const env = { ...tables, TOKEN_SPECS: specs(['orders:read', 'admin']) };
    expect(parseConfig(rotationConfigSchema, env).TOKEN_SPECS[0]?.scopes).toEqual([
      'orders:read',
      'admin',
    ]);
  });

  it('refuses a rotation spec whose scope is outside the grammar, naming where', () => {
    const env = { ...tables, TOKEN_SPECS: specs(['orders:read admin']) };
    expect(() => parseConfig(rotationConfigSchema, env)).toThrow(
      'Invalid configuration: TOKEN_SPECS.0.scopes.0: must look like "orders:read"',
    );
  });

  it('refuses a route catalog whose scope is outside the grammar, naming where', () => {
    const env = { TOKENS_TABLE_NAME: 't', ROUTE_SCOPES: routes(['orders:read admin']) };
    expect(() => parseConfig(authorizerConfigSchema, env)).toThrow(
      'Invalid configuration: ROUTE_SCOPES.0.scopes.0: must look like "orders:read"',
    );
  });
});

describe('stage flusher configuration', () => {
  const env = {
    REST_API_ID: 'abc123',
    STAGE_NAME: 'v1',
    AWS_REGION: 'eu-west-1',
    REGISTRY_TABLE_NAME: 'apis',
  };

  it("needs its own account, so it can tell other accounts' stages apart", () => {
    expect(() => parseConfig(stageFlusherConfigSchema, env)).toThrow(
      new ConfigError('Invalid configuration: PLATFORM_ACCOUNT is not set'),
    );
    expect(() =>
      parseConfig(stageFlusherConfigSchema, { ...env, PLATFORM_ACCOUNT: '1234' }),
    ).toThrow(/PLATFORM_ACCOUNT: must be a 12-digit AWS account id/);
  });

  it('needs the API registry it lists the stages to flush from', () => {
    const unregistered = { ...env, PLATFORM_ACCOUNT: '123456789012', REGISTRY_TABLE_NAME: '' };
    expect(() => parseConfig(stageFlusherConfigSchema, unregistered)).toThrow(
      /REGISTRY_TABLE_NAME/,
    );
  });

  it('debounces over 2 s unless told otherwise, at most 60 s', () => {
    const full = { ...env, PLATFORM_ACCOUNT: '123456789012' };
    expect(parseConfig(stageFlusherConfigSchema, full).FLUSH_WINDOW_SECONDS).toBe(2);
    expect(() =>
      parseConfig(stageFlusherConfigSchema, { ...full, FLUSH_WINDOW_SECONDS: '61' }),
    ).toThrow(/FLUSH_WINDOW_SECONDS/);
  });
});
