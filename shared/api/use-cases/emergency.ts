/**
 * Emergency revocation: one token or every token of an owner, then a flush of the stage's
 * authorizer cache so that cached Allow policies stop at once. Admin only (the route needs the
 * admin scope too).
 */
import type { TokenRecord } from '../../token/record';
import { auditContext, isAdmin, type Caller } from '../access';
import { ApiError } from '../errors';
import type { UseCaseDeps } from './deps';

export interface EmergencyRevocation {
  /** Exactly one of `owner` and `tokenId`. */
  readonly owner?: string | undefined;
  readonly tokenId?: string | undefined;
  readonly reason: string;
}

/** What an emergency revocation did, token by token. */
class Tally {
  readonly revoked: string[] = [];
  readonly failed: string[] = [];
  unchanged = 0;
  listingFailed = false;
}

export class EmergencyUseCases {
  constructor(private readonly deps: UseCaseDeps) {}

  async emergencyRevoke(caller: Caller, body: EmergencyRevocation) {
    const target = body.tokenId ?? `owner:${body.owner ?? ''}`;
    await this.deps.guard.refuseUnless(
      caller,
      'token.emergency-revoke',
      body.owner,
      isAdmin(caller) ? undefined : 'token.emergency-revoke needs the admin scope',
      target,
    );
    const context = { ...auditContext(caller), reason: `emergency: ${body.reason}` };
    const tally = new Tally();
    // Every token is tried even when some fail, and the cache is flushed whatever happened:
    // a half-done emergency must not leave cached policies of the revoked ones alive.
    const revokeAll = async (records: readonly TokenRecord[]) => {
      const results = await Promise.allSettled(
        records.map((r) => this.deps.stores.tokens.revoke(r.tokenHash, context)),
      );
      results.forEach((result, i) => {
        const tokenId = records[i]?.tokenId ?? '';
        if (result.status === 'rejected') tally.failed.push(tokenId);
        else if (result.value.changed) tally.revoked.push(tokenId);
        else tally.unchanged += 1;
      });
    };
    if (body.tokenId !== undefined) {
      const record = await this.deps.stores.tokens.getById(body.tokenId);
      if (record === undefined) throw new ApiError(404, `No token ${body.tokenId}`);
      await revokeAll([record]);
    } else if (body.owner !== undefined) {
      tally.listingFailed = !(await this.eachLivePage(body.owner, revokeAll));
    }
    const result = report(tally, await this.flushCache());
    await this.record(caller, target, body, result);
    return result;
  }

  /**
   * The emergency itself is audited, apart from each token's revocation: when every token was
   * already revoked there is no other trace of it, nor of whether the cache was flushed.
   */
  private async record(
    caller: Caller,
    target: string,
    body: EmergencyRevocation,
    result: ReturnType<typeof report>,
  ): Promise<void> {
    await this.deps.stores.audit.append(
      {
        action: 'token.emergency-revoke',
        targetId: target,
        outcome: result.complete ? 'success' : 'failure',
        ...(body.owner === undefined ? {} : { owner: body.owner }),
        details: {
          revoked: String(result.revoked.length),
          alreadyRevoked: String(result.alreadyRevoked),
          failed: String(result.failed.length),
          cacheFlushed: String(result.cacheFlushed),
        },
      },
      { ...auditContext(caller), reason: `emergency: ${body.reason}` },
    );
  }

  /** Hand every page of the owner's live tokens to `act`; false if the listing failed. */
  private async eachLivePage(
    owner: string,
    act: (records: readonly TokenRecord[]) => Promise<void>,
  ): Promise<boolean> {
    let cursor: string | undefined;
    try {
      do {
        const page = await this.deps.stores.tokens.listByOwner(owner, {
          cursor,
          limit: this.deps.pageSize ?? 100,
        });
        await act(page.items.filter((r) => r.status === 'active' || r.status === 'pending'));
        cursor = page.cursor;
      } while (cursor !== undefined);
      return true;
    } catch {
      return false;
    }
  }

  private async flushCache(): Promise<boolean> {
    try {
      if (this.deps.cache === undefined) return false;
      await this.deps.cache.flush();
      return true;
    } catch {
      return false;
    }
  }
}

function report(tally: Tally, cacheFlushed: boolean) {
  const { revoked, failed, listingFailed } = tally;
  const warnings = [
    ...(failed.length > 0 || listingFailed
      ? ['Some tokens could not be revoked (see "failed", or the listing stopped): run it again.']
      : []),
    ...(cacheFlushed
      ? []
      : [
          'The authorizer cache was not flushed: cached policies may allow revoked tokens until they expire (authorizer cache TTL). Flush it by hand.',
        ]),
  ];
  return {
    revoked,
    alreadyRevoked: tally.unchanged,
    failed,
    complete: failed.length === 0 && !listingFailed,
    cacheFlushed,
    ...(warnings.length === 0 ? {} : { warning: warnings.join(' ') }),
  };
}
