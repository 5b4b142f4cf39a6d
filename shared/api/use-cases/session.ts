/** The calling token itself: the re-check every management route starts with, and `/me`. */
import { callerRefusal, type Access } from '../../authz/caller-access';
import { bearerToken } from '../../authz/bearer';
import { DEFAULT_TOKEN_PREFIX, hashToken, parseToken } from '../../token/format';
import type { TokenRecord } from '../../token/record';
import { evaluateRecord } from '../../token/verify';
import { isAdmin, type Caller } from '../access';
import { ApiError } from '../errors';
import type { UseCaseDeps } from './deps';

export class SessionUseCases {
  constructor(private readonly deps: UseCaseDeps) {}

  /**
   * Re-read the calling token (one consistent GetItem by the hash of the presented token) and
   * refuse, audited, unless it may still act: see `callerRefusal`. Every management route goes
   * through here before its operation runs; the returned caller carries the fresh record.
   */
  async authenticate(
    caller: Caller,
    authorization: string | undefined,
    access: Access,
  ): Promise<Caller> {
    if (caller.operator === true) return caller;
    const record = await this.callerRecord(caller, authorization);
    const verdict = evaluateRecord(record, this.deps.now());
    const refusal = callerRefusal(verdict, access);
    if (refusal !== undefined || !verdict.allowed) {
      const message = refusal?.message ?? 'The calling token is not valid';
      if (record !== undefined) {
        await this.deps.guard.recordRefusal(caller, 'caller.refused', record, message, { access });
      }
      throw new ApiError(refusal?.status ?? 401, message);
    }
    const fresh = verdict.record;
    return { ...caller, owner: fresh.owner, scopes: fresh.scopes, record: fresh };
  }

  /**
   * The calling token's record: by the hash of the presented token when the request carries it
   * (API Gateway passes the header on), else by the authorizer's token id. A header naming a
   * token other than the authorizer's is not the caller: nothing.
   */
  private async callerRecord(
    caller: Caller,
    authorization: string | undefined,
  ): Promise<TokenRecord | undefined> {
    const presented = bearerToken(authorization);
    if (presented === undefined) return this.deps.stores.tokens.getById(caller.tokenId);
    const parsed = parseToken(presented, this.deps.prefix ?? DEFAULT_TOKEN_PREFIX);
    if (!parsed.ok) return undefined;
    const record = await this.deps.stores.tokens.getByHash(hashToken(parsed.token), {
      consistent: true,
    });
    return record?.tokenId === caller.tokenId ? record : undefined;
  }

  async me(caller: Caller) {
    const record = caller.record ?? (await this.deps.stores.tokens.getById(caller.tokenId));
    if (record === undefined) throw new ApiError(404, 'The calling token no longer exists');
    return {
      tokenId: record.tokenId,
      name: record.name,
      owner: record.owner,
      scopes: record.scopes,
      admin: isAdmin(caller),
      expiresAt: record.expiresAt,
      graceUntil: record.graceUntil,
    };
  }
}
