/**
 * Environment configuration, parsed once at cold start. A missing or invalid variable fails
 * fast with a message that names it.
 */
import * as z from 'zod/mini';
import { routeCatalogSchema } from './authz/routes';
import { specCatalogSchema } from './rotation/secret-value';
import { TOKEN_PREFIX_PATTERN } from './token/format';
import { DEFAULT_ROTATION_POLICY, rotationPoliciesSchema } from './token/rotation-policy';
import { DEFAULT_GRACE_DAYS, DEFAULT_RETENTION_DAYS } from './defaults';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export function parseConfig<T extends z.ZodMiniType>(
  schema: T,
  env: Readonly<Record<string, string | undefined>> = process.env,
): z.infer<T> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = issue.path.join('.');
    // The variable is the first path element; the rest points inside its JSON.
    const variable = String(issue.path[0]);
    return env[variable] === undefined ? `${name} is not set` : `${name}: ${issue.message}`;
  });
  throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
}

/** A variable holding JSON, checked against `schema` after parsing. */
function json<T extends z.ZodMiniType>(schema: T) {
  const parsed = z.pipe(
    z.string(),
    z.transform((text: string, ctx): unknown => {
      try {
        return JSON.parse(text);
      } catch {
        ctx.issues.push({ code: 'custom', message: 'is not valid JSON', input: text });
        return z.NEVER;
      }
    }),
  );
  return z.pipe(parsed, schema);
}

const nonEmpty = () => z.string().check(z.minLength(1));

const tokenPrefix = z._default(
  z
    .string()
    .check(
      z.regex(TOKEN_PREFIX_PATTERN, 'must be lowercase letters/digits ending in "_", e.g. "sk_"'),
    ),
  'sk_',
);

/** A whole number of seconds in [min, max], given as text, with a default. */
function seconds(min: number, max: number, fallback: number) {
  return z._default(z.coerce.number().check(z.int(), z.gte(min), z.lte(max)), fallback);
}

/** Variables every function that uses the token store needs. */
export const storeConfigSchema = z.object({
  TOKENS_TABLE_NAME: nonEmpty(),
  AUDIT_TABLE_NAME: nonEmpty(),
  TOKEN_PREFIX: tokenPrefix,
});

export type StoreConfig = z.infer<typeof storeConfigSchema>;

/** The authorizer reads the tokens table only; it has no audit table. */
export const authorizerConfigSchema = z.object({
  TOKENS_TABLE_NAME: nonEmpty(),
  TOKEN_PREFIX: tokenPrefix,
  /** The route catalog: `[{ "method": "GET", "path": "/me", "scopes": [] }, …]`. */
  ROUTE_SCOPES: json(routeCatalogSchema),
  /** In-process record cache; 0 (default) turns it off. Adds to the revocation bound. */
  LOCAL_CACHE_TTL_SECONDS: seconds(0, 300, 0),
  /** At most one usage write per token per instance per interval. */
  USAGE_INTERVAL_SECONDS: seconds(1, 86_400, 300),
});

export type AuthorizerConfig = z.infer<typeof authorizerConfigSchema>;

/** Days an ended token's item is kept before TTL deletes it. */
const retentionDays = z._default(
  z.coerce.number().check(z.int(), z.gte(1), z.lte(3650)),
  DEFAULT_RETENTION_DAYS,
);

/**
 * `{ "default": {…}, "owners": { "<owner>": {…} } }`; default: 90 days, 30 under heavy use.
 * The alert run reports against it; every writer of a live token dates its due-index entry
 * with it (shared/token/policy-due.ts).
 */
const rotationPolicies = z._default(json(rotationPoliciesSchema), {
  default: DEFAULT_ROTATION_POLICY,
  owners: {},
});

/** The rotation Lambda writes tokens and audit events. */
export const rotationConfigSchema = z.object({
  TOKENS_TABLE_NAME: nonEmpty(),
  AUDIT_TABLE_NAME: nonEmpty(),
  TOKEN_PREFIX: tokenPrefix,
  /** How long a rotated-out token keeps working; 0 means immediate cut-over. */
  GRACE_PERIOD_DAYS: z._default(z.coerce.number().check(z.gte(0), z.lte(90)), DEFAULT_GRACE_DAYS),
  /** `[{ "secretArn", "name", "owner", "scopes", "lifetimeDays" }, …]`, built by CDK. */
  TOKEN_SPECS: json(specCatalogSchema),
  RETENTION_DAYS: retentionDays,
  ROTATION_POLICIES: rotationPolicies,
});

export type RotationConfig = z.infer<typeof rotationConfigSchema>;

/**
 * Where a scheduled run takes "now" from. `system`: the Lambda's clock (deployed default).
 * `event`: the schedule event's `time`, so a local stack or a test can run the schedules on a
 * simulated clock. Never set `event` in AWS: a hand-made event could then expire live tokens.
 */
const clockSource = z._default(z.enum(['system', 'event']), 'system');

/** The expiry alert run reads the expiry index, claims alerts, and publishes to the topic. */
export const alertsConfigSchema = z.object({
  TOKENS_TABLE_NAME: nonEmpty(),
  AUDIT_TABLE_NAME: nonEmpty(),
  ROTATION_POLICIES: rotationPolicies,
  ALERT_TOPIC_ARN: z
    .string()
    .check(z.regex(/^arn:[\w-]+:sns:[\w-]+:\d{12}:[\w-]+$/, 'must be an SNS topic ARN')),
  CLOCK_SOURCE: clockSource,
});

/** The cleanup run retires ended tokens; TTL then deletes them after the retention period. */
export const cleanupConfigSchema = z.object({
  TOKENS_TABLE_NAME: nonEmpty(),
  AUDIT_TABLE_NAME: nonEmpty(),
  RETENTION_DAYS: retentionDays,
  CLOCK_SOURCE: clockSource,
});

/** The management API reads and writes tokens and audit events, and can flush the stage cache. */
export const managementConfigSchema = z.object({
  TOKENS_TABLE_NAME: nonEmpty(),
  AUDIT_TABLE_NAME: nonEmpty(),
  TOKEN_PREFIX: tokenPrefix,
  RETENTION_DAYS: retentionDays,
  /** Where emergency revocations flush the authorizer cache; unset: no flush (local runs). */
  REST_API_ID: z.optional(z.string().check(z.regex(/^[a-z0-9]{1,32}$/, 'must be a REST API id'))),
  STAGE_NAME: z._default(z.string().check(z.minLength(1)), 'v1'),
  /** The API registry: the scopes a new token may carry, and `GET /apis`. */
  REGISTRY_TABLE_NAME: nonEmpty(),
  ROTATION_POLICIES: rotationPolicies,
});

/** The registry provider writes registry items, nothing else. */
export const registryConfigSchema = z.object({
  REGISTRY_TABLE_NAME: nonEmpty(),
});

/** The lifecycle relay reads the audit stream and token records, and publishes to the bus. */
export const lifecycleConfigSchema = z.object({
  TOKENS_TABLE_NAME: nonEmpty(),
  EVENT_BUS_NAME: z
    .string()
    .check(z.regex(/^[A-Za-z0-9._/-]{1,256}$/, 'must be an EventBridge bus name')),
});

/** The stage flusher flushes the platform's stage and the registered ones on lifecycle events. */
export const stageFlusherConfigSchema = z.object({
  /** The platform's own REST API and stage: flushed on every batch, registry or not. */
  REST_API_ID: z.string().check(z.regex(/^[a-z0-9]{1,32}$/, 'must be a REST API id')),
  STAGE_NAME: nonEmpty(),
  /** The function's own account: stages of other accounts are flushed by their owners. */
  PLATFORM_ACCOUNT: z.string().check(z.regex(/^\d{12}$/, 'must be a 12-digit AWS account id')),
  AWS_REGION: nonEmpty(),
  /** The debounce window: at most one flush of a stage per this many seconds, per instance. */
  FLUSH_WINDOW_SECONDS: seconds(0, 60, 2),
  /** The API registry: every registered stage is flushed with the platform's. */
  REGISTRY_TABLE_NAME: nonEmpty(),
});
