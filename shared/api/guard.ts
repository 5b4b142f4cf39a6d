/**
 * The access policy applied, with every refusal audited (outcome `failure`) before it is
 * answered: the use cases go through here to find a token and to refuse.
 */
import type { Stores } from '../store';
import { TokenStoreError } from '../store/errors';
import type { TokenRecord } from '../token/record';
import { auditContext, maySee, type Caller } from './access';
import { ApiError } from './errors';

/** Store refusals that say "not now / not this" (as opposed to failures): audited. */
const REFUSALS = new Set(['conflict', 'gone', 'not-found']);

export function isStoreRefusal(error: unknown): error is TokenStoreError {
  return error instanceof TokenStoreError && REFUSALS.has(error.code);
}

export class Guard {
  constructor(private readonly stores: Pick<Stores, 'tokens' | 'audit'>) {}

  /** A token the caller may see: its own tenant's, or any for an admin. Else "not found". */
  async visible(caller: Caller, tokenId: string): Promise<TokenRecord> {
    const record = await this.stores.tokens.getById(tokenId);
    if (record === undefined || !maySee(caller, record)) {
      throw new ApiError(404, `No token ${tokenId}`);
    }
    return record;
  }

  /** Throw 403 with `refusal` (audited as a failure) unless there is none. */
  async refuseUnless(
    caller: Caller,
    action: string,
    owner: string | undefined,
    refusal: string | undefined,
    targetId = `owner:${owner ?? caller.owner}`,
    details: Record<string, string> = {},
  ): Promise<void> {
    if (refusal === undefined) return;
    await this.stores.audit.append(
      {
        action,
        targetId,
        outcome: 'failure',
        ...(owner === undefined ? {} : { owner }),
        details: { ...details, refused: refusal },
      },
      auditContext(caller),
    );
    throw new ApiError(403, refusal);
  }

  /** Audit a refusal of an action on `target` (the caller hears of it separately). */
  async recordRefusal(
    caller: Caller,
    action: string,
    target: TokenRecord,
    refused: string,
    details: Record<string, string>,
  ): Promise<void> {
    await this.stores.audit.append(
      {
        action,
        targetId: target.tokenId,
        owner: target.owner,
        outcome: 'failure',
        details: { ...details, refused },
      },
      auditContext(caller),
    );
  }

  /** Run a store change; a refusal it raises (conflict, gone, not found) is audited first. */
  async auditRefusals<T>(
    caller: Caller,
    action: string,
    target: TokenRecord,
    details: Record<string, string>,
    change: () => Promise<T>,
  ): Promise<T> {
    try {
      return await change();
    } catch (error) {
      if (isStoreRefusal(error)) {
        await this.recordRefusal(caller, action, target, error.message, details);
      }
      throw error;
    }
  }
}
