/** The leak intake's environment, parsed once at cold start (see shared/config.ts). */
import * as z from 'zod/mini';
import { DEFAULT_RETENTION_DAYS } from '../defaults';
import { TOKEN_PREFIX_PATTERN } from '../token/format';
import { LEAK_POLICIES } from './policy';
import { DEFAULT_GITHUB_KEYS_URL } from './github-keys';

const nonEmpty = () => z.string().check(z.minLength(1));

export const leakIntakeConfigSchema = z.object({
  TOKENS_TABLE_NAME: nonEmpty(),
  AUDIT_TABLE_NAME: nonEmpty(),
  TOKEN_PREFIX: z._default(
    z
      .string()
      .check(z.regex(TOKEN_PREFIX_PATTERN, 'must be lowercase letters/digits ending in "_"')),
    'sk_',
  ),
  RETENTION_DAYS: z._default(
    z.coerce.number().check(z.int(), z.gte(1), z.lte(3650)),
    DEFAULT_RETENTION_DAYS,
  ),
  /** `revoke` (default): a live leaked token is revoked; `notify`: its owner is alerted only. */
  LEAK_POLICY: z._default(z.enum(LEAK_POLICIES), 'revoke'),
  /**
   * GitHub's secret-scanning public keys document: https, since whoever serves it decides
   * which signatures are GitHub's (plain http only to this machine: the local stack).
   */
  GITHUB_KEYS_URL: z._default(
    z.url({ protocol: /^https?$/ }).check(
      z.refine(
        (url) => url.startsWith('https://') || /^http:\/\/(127\.0\.0\.1|localhost)[:/]/.test(url),
        {
          message: 'must be https (http only for 127.0.0.1 or localhost)',
        },
      ),
    ),
    DEFAULT_GITHUB_KEYS_URL,
  ),
  /** The Secrets Manager secret (ARN or name) holding the webhook intake's HMAC key. */
  WEBHOOK_SECRET_ID: nonEmpty(),
  ALERT_TOPIC_ARN: z
    .string()
    .check(z.regex(/^arn:[\w-]+:sns:[\w-]+:\d{12}:[\w-]+$/, 'must be an SNS topic ARN')),
});

export type LeakIntakeConfig = z.infer<typeof leakIntakeConfigSchema>;

/** The shortest webhook secret accepted: 256 bits of hex or base64 is 43+ characters. */
export const MIN_WEBHOOK_SECRET_LENGTH = 32;
