/**
 * The spec of a rotated token (name, owner, scopes, lifetime) lives in the rotation Lambda's
 * configuration, keyed by secret ARN (TOKEN_SPECS, built by CDK): neither a CloudFormation
 * update nor anyone who can write the secret can change what a rotation issues.
 *
 * The secret itself holds JSON a consuming service reads. It starts as `{}` (so no plaintext
 * token is ever in CDK code or a template, and CloudFormation never rewrites it); each
 * rotation writes `{ token, tokenId, expiresAt, name, owner, scopes, lifetimeDays }`.
 */
import * as z from 'zod/mini';
import { DEFAULT_TOKEN_LIFETIME_DAYS } from '../defaults';
import { ownerSchema, tokenNameSchema } from '../token/labels';
import { invalidScopes, quoteScopes, SCOPE_RULE, scopeSchema } from '../token/scope';
import { RotationError } from './errors';

const nonEmpty = () => z.string().check(z.minLength(1));

export const secretSpecSchema = z.object({
  name: tokenNameSchema,
  owner: ownerSchema,
  scopes: z.array(scopeSchema).check(z.minLength(1, 'must name at least one scope')),
  /** Lifetime of each issued token; must exceed the rotation interval plus the grace period. */
  lifetimeDays: z._default(z.int().check(z.gte(1), z.lte(3650)), DEFAULT_TOKEN_LIFETIME_DAYS),
});

export type SecretSpec = z.infer<typeof secretSpecSchema>;

/**
 * The rotator's own check of the spec it is handed (TOKEN_SPECS is checked at cold start too):
 * a spec with a scope outside the grammar issues nothing, since its space-joined scopes would
 * reach backends as other scopes.
 */
export function assertIssuable(secretId: string, spec: SecretSpec): void {
  const invalid = invalidScopes(spec.scopes);
  if (invalid.length === 0) return;
  throw new RotationError(
    `The spec of ${secretId} names invalid scopes: ${quoteScopes(invalid)}; a scope ${SCOPE_RULE}. No token is issued until the spec is fixed`,
  );
}

/** Whether a token carries exactly the spec's owner and scopes (the scopes in any order). */
export function carriesSpec(
  token: { readonly owner: string; readonly scopes: readonly string[] },
  spec: SecretSpec,
): boolean {
  // Compared as lists: joined strings would make ["a b"] equal ["a", "b"].
  const sorted = (scopes: readonly string[]) => JSON.stringify([...scopes].sort());
  return token.owner === spec.owner && sorted(token.scopes) === sorted(spec.scopes);
}

/** TOKEN_SPECS: which secret gets tokens of which spec. */
export const specCatalogSchema = z.array(
  z.object({ ...secretSpecSchema.shape, secretArn: z.string().check(z.startsWith('arn:')) }),
);

export type SpecCatalog = z.infer<typeof specCatalogSchema>;

export const secretValueSchema = z.object({
  token: z.optional(nonEmpty()),
  tokenId: z.optional(nonEmpty()),
  expiresAt: z.optional(z.iso.datetime()),
  name: z.optional(z.string()),
  owner: z.optional(z.string()),
  scopes: z.optional(z.array(z.string())),
  lifetimeDays: z.optional(z.number()),
});

export type SecretValue = z.infer<typeof secretValueSchema>;
export type IssuedSecretValue = SecretSpec & { token: string; tokenId: string; expiresAt: string };

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

export function hasToken(
  value: SecretValue,
): value is SecretValue & { token: string; tokenId: string; expiresAt: string } {
  return value.token !== undefined && value.tokenId !== undefined && value.expiresAt !== undefined;
}
