/**
 * createSecret's cleanup of rotations that never finished. Versions that hold a token but no
 * stage, newer than the current one, belong to rotations an operator stopped (by removing their
 * AWSPENDING). Their tokens must never work, so any still live is revoked, found by its hash.
 */
import type { AuditContext } from '../store/audit';
import type { Stores } from '../store';
import { hashToken } from '../token/format';
import { hasToken, parseSecretValue } from './secret-value';
import type { SecretsAdapter } from './secrets';
import type { TokenValue } from './stages';

/** The tokens of the abandoned versions except `version`'s own, read one at a time. */
async function* abandonedTokens(
  secrets: SecretsAdapter,
  secretId: string,
  version: string,
): AsyncGenerator<TokenValue> {
  for (const id of await secrets.unstagedSinceCurrent(secretId)) {
    if (id === version) continue;
    const text = await secrets.value(secretId, '', id);
    const value = text === undefined ? undefined : parseSecretValue(text, 'abandoned');
    if (value !== undefined && hasToken(value)) yield value;
  }
}

/** Revoke the live tokens of the secret's abandoned rotations (before staging a new one). */
export async function revokeAbandoned(
  deps: { readonly secrets: SecretsAdapter; readonly stores: Pick<Stores, 'tokens'> },
  secretId: string,
  version: string,
  audit: AuditContext,
): Promise<void> {
  const { tokens } = deps.stores;
  for await (const value of abandonedTokens(deps.secrets, secretId, version)) {
    const record = await tokens.getByHash(hashToken(value.token), { consistent: true });
    if (record === undefined || record.status === 'revoked' || record.status === 'expired')
      continue;
    if (record.status === 'active' && record.rotatedTo !== undefined) continue; // was current once
    await tokens.revoke(record.tokenHash, {
      ...audit,
      reason: 'rotation abandoned before the token became current',
    });
  }
}
