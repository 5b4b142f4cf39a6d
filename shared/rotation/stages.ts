/**
 * The token values a secret's versions hold, as the rotation steps read them: through the
 * Secrets Manager adapter, parsed, and checked for a token where a step needs one. A missing
 * stage or version is `undefined`; a value that is not what a step needs is a RotationError.
 */
import { RotationError } from './errors';
import { hasToken, parseSecretValue, type SecretValue } from './secret-value';
import { AWSCURRENT, AWSPENDING, type SecretsAdapter } from './secrets';

/** A secret value that holds a token. */
export type TokenValue = SecretValue & { token: string; tokenId: string; expiresAt: string };

/** AWSCURRENT's value, which every rotation starts from (`{}` before the first one). */
export async function currentValue(
  secrets: SecretsAdapter,
  secretId: string,
): Promise<SecretValue> {
  const text = await secrets.value(secretId, AWSCURRENT);
  if (text === undefined) throw new RotationError(`${secretId} has no AWSCURRENT value`);
  return parseSecretValue(text, 'current');
}

/** The token staged in AWSPENDING on `version`, if createSecret staged one yet. */
export async function pendingToken(
  secrets: SecretsAdapter,
  secretId: string,
  version: string,
): Promise<TokenValue | undefined> {
  const text = await secrets.value(secretId, AWSPENDING, version);
  if (text === undefined) return undefined;
  const value = parseSecretValue(text, 'pending');
  if (!hasToken(value)) throw new RotationError(`The pending version ${version} holds no token`);
  return value;
}

/** The token staged in AWSPENDING on `version`, for the steps after createSecret. */
export async function requirePendingToken(
  secrets: SecretsAdapter,
  secretId: string,
  version: string,
): Promise<TokenValue> {
  const value = await pendingToken(secrets, secretId, version);
  if (value === undefined) throw new RotationError(`No AWSPENDING value for version ${version}`);
  return value;
}

/** The token a stage (AWSCURRENT, AWSPREVIOUS) holds; none for `{}` or a missing stage. */
export async function tokenOfStage(
  secrets: SecretsAdapter,
  secretId: string,
  stage: string,
): Promise<TokenValue | undefined> {
  const text = await secrets.value(secretId, stage);
  if (text === undefined) return undefined;
  const value = parseSecretValue(text, stage);
  return hasToken(value) ? value : undefined;
}
