/**
 * Environment configuration, parsed once at cold start. A missing or invalid variable fails
 * fast with a message that names it.
 */
import { z } from 'zod';
import { TOKEN_PREFIX_PATTERN } from './token/format';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export function parseConfig<T extends z.ZodType>(
  schema: T,
  env: Readonly<Record<string, string | undefined>> = process.env,
): z.infer<T> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = issue.path.join('.');
    return env[name] === undefined ? `${name} is not set` : `${name}: ${issue.message}`;
  });
  throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
}

/** Variables every function that uses the token store needs. */
export const storeConfigSchema = z.object({
  TOKENS_TABLE_NAME: z.string().min(1),
  AUDIT_TABLE_NAME: z.string().min(1),
  TOKEN_PREFIX: z
    .string()
    .regex(TOKEN_PREFIX_PATTERN, 'must be lowercase letters/digits ending in "_", e.g. "sk_"')
    .default('sk_'),
});

export type StoreConfig = z.infer<typeof storeConfigSchema>;
