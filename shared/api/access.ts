/**
 * Who is calling, and the management API's access policy as pure rules (the use cases apply
 * them; shared/api/guard.ts audits what they refuse):
 * - tenant isolation: a caller without the admin scope sees and changes only tokens of its own
 *   owner; another tenant's token is "not found", so existence does not leak;
 * - no escalation: a non-admin can only issue (create or rotate into) tokens whose scopes it
 *   holds itself, so a token can never mint a more powerful one;
 * - nothing issued outlives its issuer (`issuerLimits`).
 */
import { ADMIN_SCOPE } from '../authz/routes';
import type { AuditContext } from '../store/audit';
import { isSecretHeld, whyNotRotated } from '../token/kinds';
import type { TokenRecord } from '../token/record';
import { invalidScopes } from '../token/scope';
import { ApiError } from './errors';

/** Who is calling, from the authorizer's context. */
export interface Caller {
  readonly tokenId: string;
  readonly owner: string;
  readonly scopes: readonly string[];
  readonly requestId: string;
  /**
   * An operator with direct table access (the CLI), not a token: there is no calling token to
   * re-check. API callers are always tokens.
   */
  readonly operator?: boolean;
  /** The calling token's record as `authenticate` re-read it (absent for an operator). */
  readonly record?: TokenRecord;
}

export function isAdmin(caller: Pick<Caller, 'scopes'>): boolean {
  return caller.scopes.includes(ADMIN_SCOPE);
}

export function auditContext(caller: Caller): AuditContext {
  return { actor: caller.tokenId, requestId: caller.requestId };
}

/** May `caller` see `record` at all? (Else the API answers "not found".) */
export function maySee(caller: Caller, record: TokenRecord): boolean {
  return record.owner === caller.owner || isAdmin(caller);
}

/**
 * No token issued through the API outlives the token that issues it, admins included (as
 * Vault's child tokens): a leaked token must not mint a foothold that outlives its own
 * expiry. (Revoking the issuer does not revoke its children: SECURITY.md, "Not covered".)
 * `authenticate` has already refused callers that are no longer valid and current. An
 * operator (direct table access, IAM) is not capped.
 */
export function issuerLimits(caller: Caller): { refusal?: string; expiresBy?: Date } {
  if (caller.operator === true) return {};
  if (caller.record === undefined) {
    return { refusal: 'The calling token was not re-checked: it cannot issue tokens' };
  }
  return { expiresBy: new Date(caller.record.expiresAt) };
}

/** Why `caller` may not issue a token of `owner` with `scopes`, or undefined if it may. */
export function issueRefusal(
  caller: Caller,
  owner: string,
  scopes: readonly string[],
): string | undefined {
  if (isAdmin(caller)) return undefined;
  if (owner !== caller.owner) return 'Only an admin can issue tokens for another owner';
  const beyond = scopes.filter((scope) => !caller.scopes.includes(scope));
  return beyond.length === 0
    ? undefined
    : `You cannot grant scopes you do not hold: ${beyond.join(', ')}`;
}

/**
 * Whoever asks for a rotation gets the new token once it is approved: the token itself, a
 * token that holds all its scopes (no escalation), or an admin.
 */
export function askRefusal(caller: Caller, current: TokenRecord): string | undefined {
  const beyond = current.scopes.filter((scope) => !caller.scopes.includes(scope));
  return caller.tokenId === current.tokenId || isAdmin(caller) || beyond.length === 0
    ? undefined
    : `Only the token itself, an admin, or a token holding its scopes can ask for its rotation (missing: ${beyond.join(', ')})`;
}

/**
 * Who an actor is, without an operator's note: `iam:<arn> (pager duty)` is `iam:<arn>` (an ARN
 * has no spaces), so another note does not make the same IAM identity someone else.
 */
export function actorIdentity(actor: string): string {
  return actor.startsWith('iam:') ? actor.replace(/ \(.*\)$/s, '') : actor;
}

function askedBy(request: { readonly requestedBy: string }, caller: Caller): boolean {
  return actorIdentity(request.requestedBy) === actorIdentity(caller.tokenId);
}

/** Deciding is for admins, and never for the token (or IAM identity) that asked: four eyes. */
export function decideRefusal(
  caller: Caller,
  current: TokenRecord,
  requestId: string,
  approve: boolean,
): string | undefined {
  if (!isAdmin(caller)) {
    return `Only an admin can ${approve ? 'approve' : 'reject'} a rotation request`;
  }
  const request = current.rotationRequest;
  return request?.requestId === requestId && askedBy(request, caller)
    ? 'A rotation request cannot be decided by the token that asked for it'
    : undefined;
}

/**
 * The new token goes to whoever asked for it (or an admin), not to any token of the owner.
 * The requester of one request id never changes, and the rotation is conditioned on that id,
 * so checking it on this read holds for the transaction too.
 */
export function executeRefusal(
  caller: Caller,
  current: TokenRecord,
  requestId: string,
): string | undefined {
  const request = current.rotationRequest;
  return isAdmin(caller) || (request?.requestId === requestId && askedBy(request, caller))
    ? undefined
    : 'Only the token that asked for this rotation, or an admin, can use its grant';
}

/**
 * Tokens that cannot be rotated through the API: a kind that is never rotated (a bootstrap
 * token is exchanged instead), and a token held in a Secrets Manager secret, rotated by
 * rotating the secret (else the secret would keep the old token, which stops working after
 * its grace period).
 */
export function refuseApiRotation(record: TokenRecord): void {
  // Only a legacy or tampered item can hold one: the store refuses to write it again.
  if (invalidScopes(record.scopes).length > 0) {
    throw new ApiError(
      409,
      `${record.tokenId} has a scope outside the scope grammar: revoke it and issue a new one`,
    );
  }
  const notRotated = whyNotRotated(record);
  if (notRotated !== undefined) throw new ApiError(409, notRotated);
  if (isSecretHeld(record)) {
    throw new ApiError(
      409,
      `${record.tokenId} is held in a Secrets Manager secret: rotate the secret instead (aws secretsmanager rotate-secret)`,
    );
  }
}
