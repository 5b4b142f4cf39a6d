/**
 * What a rotated secret holds: JSON a consuming service reads. The spec fields (name, owner,
 * scopes, lifetimeDays) are set once by the CDK construct and carried forward; the first
 * rotation adds the token, so no plaintext token is ever in CDK code or a template.
 */
import * as z from 'zod/mini';
import { RotationError } from './errors';

const nonEmpty = () => z.string().check(z.minLength(1));

export const secretSpecSchema = z.object({
  name: nonEmpty(),
  owner: nonEmpty(),
  scopes: z.array(nonEmpty()),
  /** Lifetime of each issued token; must exceed the rotation interval plus the grace period. */
  lifetimeDays: z._default(z.int().check(z.gte(1), z.lte(3650)), 90),
});

export const secretValueSchema = z.object({
  ...secretSpecSchema.shape,
  token: z.optional(nonEmpty()),
  tokenId: z.optional(nonEmpty()),
  expiresAt: z.optional(z.iso.datetime()),
});

export type SecretSpec = z.infer<typeof secretSpecSchema>;
export type SecretValue = z.infer<typeof secretValueSchema>;
export type IssuedSecretValue = SecretValue & { token: string; tokenId: string; expiresAt: string };

/** Parse a secret string. Errors name the bad fields, never the content. */
export function parseSecretValue(text: string, what: string): SecretValue {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new RotationError(`The ${what} secret value is not JSON`);
  }
  const parsed = secretValueSchema.safeParse(json);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((i) => i.path.join('.') || '(root)').join(', ');
    throw new RotationError(`The ${what} secret value is invalid at ${fields}`);
  }
  return parsed.data;
}

export function hasToken(value: SecretValue): value is IssuedSecretValue {
  return value.token !== undefined && value.tokenId !== undefined && value.expiresAt !== undefined;
}
