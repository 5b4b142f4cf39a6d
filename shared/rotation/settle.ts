/**
 * What every successful finishSecret ends with, whatever earlier rotations left behind (a
 * finishSecret that failed after its stage move and was never retried, a crash, an abandoned
 * rotation), so "at most two valid tokens per secret" holds by construction, not by history:
 * - AWSCURRENT's token is active;
 * - AWSPREVIOUS's token keeps its grace, or gets one now by the normal rule if the
 *   finishSecret that should have started it was lost;
 * - every other live token of the secret is ended, each with its audit event.
 * Every part is idempotent: a retried finishSecret changes nothing more.
 */
import type { AuditContext } from '../store/audit';
import { TokenStoreError } from '../store/errors';
import type { Stores } from '../store';
import { hashToken } from '../token/format';

export interface HeldToken {
  readonly token: string;
  readonly tokenId: string;
}

export interface SecretHolders {
  readonly secretId: string;
  readonly current: HeldToken;
  readonly previous: HeldToken | undefined;
  /**
   * A rotation still in flight (a version holding AWSPENDING that is not AWSCURRENT): its
   * pending token is left to it, since it does not authenticate before its own finishSecret.
   */
  readonly inFlight?: string;
}

export interface SettleOptions {
  /** When the previous token's grace ends if it has none yet. */
  readonly graceUntil: Date;
  /**
   * Activate AWSCURRENT's token if still pending: needed only where the stage may have moved
   * outside this finishSecret (a retry that finds the version already current).
   */
  readonly activateCurrent: boolean;
}

/** Settles the secret's tokens; returns the ids of the tokens the sweep ended. */
export async function settleSecret(
  stores: Pick<Stores, 'rotations'>,
  holders: SecretHolders,
  options: SettleOptions,
  audit: AuditContext,
): Promise<string[]> {
  const { secretId, current, previous, inFlight } = holders;
  const currentHash = hashToken(current.token);
  if (options.activateCurrent) {
    // A token an admin revoked stays revoked; the sweep still runs.
    await unlessEnded(stores.rotations.activateSuccessor(currentHash, {}, audit));
  }
  const previousHash = previous === undefined ? undefined : hashToken(previous.token);
  if (previousHash !== undefined && previous?.tokenId !== current.tokenId) {
    // Idempotent for this successor; a previous token that is gone, ended or rotated to
    // another token has no grace to start (and any grace it has stays bounded).
    await unlessEnded(
      stores.rotations.markRotated(
        previousHash,
        { successorId: current.tokenId, graceUntil: options.graceUntil },
        audit,
      ),
    );
  }
  return stores.rotations.sweepSecret(
    secretId,
    (record) =>
      record.tokenHash === currentHash ||
      record.tokenHash === previousHash ||
      (record.status === 'pending' && inFlight !== undefined && record.rotationId === inFlight),
    {
      ...audit,
      reason: `superseded by ${current.tokenId}: held by neither AWSCURRENT nor AWSPREVIOUS`,
    },
  );
}

/** `not-found` and `conflict` mean there is nothing left to do to that token. */
async function unlessEnded(change: Promise<unknown>): Promise<void> {
  try {
    await change;
  } catch (error) {
    const nothingToDo =
      error instanceof TokenStoreError && (error.code === 'not-found' || error.code === 'conflict');
    if (!nothingToDo) throw error;
  }
}
