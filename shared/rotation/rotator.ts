/**
 * The Secrets Manager rotation contract for service tokens. Every step is idempotent:
 * Secrets Manager retries steps and may run one twice.
 *
 * Safety design (README, "Rotation"):
 * - What a rotation issues (name, owner, scopes, lifetime) comes from configuration keyed by
 *   the secret's ARN, never from the secret's content.
 * - setSecret registers the new token as `pending`: it does not authenticate until
 *   finishSecret, so a rotation that stops early leaves nothing usable behind.
 * - finishSecret: (1) activate the successor and end the grace of the token rotated out last
 *   time (at most two valid tokens); (2) move AWSCURRENT; (3) settle (settle.ts): start the
 *   grace of the token just replaced and end every other live token of the secret, so the
 *   bound holds even after an earlier finishSecret that was lost. If (2) fails and the version
 *   is not current, (1) is undone, so a token that never became current never stays valid. A
 *   retry that finds the version already current completes (3). Nothing shortens the current
 *   token's life before AWSCURRENT has moved.
 * - createSecret revokes tokens of earlier, abandoned rotations (versions that hold a token
 *   but no stage), found by their hash.
 */
import * as z from 'zod/mini';
import type { AuditContext } from '../store/audit';
import type { TokenStore } from '../store/token-store';
import { displayHint, generateToken, generateTokenId, hashToken } from '../token/format';
import { verifyToken } from '../token/verify';
import { RotationError } from './errors';
import {
  assertIssuable,
  hasToken,
  parseSecretValue,
  type IssuedSecretValue,
  type SecretSpec,
  type SecretValue,
} from './secret-value';
import { settleSecret, type SecretHolders } from './settle';
import {
  AWSCURRENT,
  AWSPENDING,
  AWSPREVIOUS,
  type SecretState,
  type SecretsAdapter,
} from './secrets';
import { DAY_MS } from '../time';

type TokenValue = SecretValue & { token: string; tokenId: string; expiresAt: string };

export const ROTATION_STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;
export type RotationStep = (typeof ROTATION_STEPS)[number];

export const rotationEventSchema = z.object({
  Step: z.enum(ROTATION_STEPS),
  SecretId: z.string().check(z.minLength(1)),
  ClientRequestToken: z.string().check(z.minLength(1)),
  RotationToken: z.optional(z.string()),
});

export type RotationEvent = z.infer<typeof rotationEventSchema>;

/** `already-staged`: createSecret found its token already in AWSPENDING (a retried step). */
export type StepResult = 'done' | 'already-staged' | 'already-current';

export interface RotatorDeps {
  readonly secrets: SecretsAdapter;
  readonly store: TokenStore;
  readonly now?: () => Date;
  readonly prefix?: string;
  /** How long the predecessor keeps working after finishSecret; 0 ends it at once. */
  readonly graceMs: number;
  /** The spec of the tokens a secret holds; undefined for a secret this function does not manage. */
  readonly specFor: (secretId: string) => SecretSpec | undefined;
}

export class TokenRotator {
  private readonly now: () => Date;

  constructor(private readonly deps: RotatorDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  async run(event: RotationEvent): Promise<StepResult> {
    const { SecretId: secretId, ClientRequestToken: version } = event;
    const spec = this.deps.specFor(secretId);
    if (spec === undefined)
      throw new RotationError(`${secretId} is not a service-token secret of this stack`);
    assertIssuable(secretId, spec);
    const state = await this.deps.secrets.describe(secretId);
    if (!state.rotationEnabled) throw new RotationError(`Rotation is not enabled for ${secretId}`);
    const stages = state.versions.get(version);
    if (stages === undefined)
      throw new RotationError(`Version ${version} has no stage for rotation`);
    const audit: AuditContext = { actor: 'system:rotation', requestId: version };
    if (stages.includes(AWSCURRENT)) {
      if (event.Step === 'finishSecret') await this.resumeFinish(secretId, state, audit);
      return 'already-current';
    }
    if (!stages.includes(AWSPENDING))
      throw new RotationError(`Version ${version} is not AWSPENDING`);

    switch (event.Step) {
      case 'createSecret':
        return this.createSecret(secretId, version, spec, event.RotationToken, audit);
      case 'setSecret':
        await this.setSecret(secretId, version, spec, audit);
        break;
      case 'testSecret':
        await this.testSecret(secretId, version, spec);
        break;
      case 'finishSecret':
        await this.finishSecret(secretId, version, state, audit);
        break;
    }
    return 'done';
  }

  private async current(secretId: string): Promise<SecretValue> {
    const text = await this.deps.secrets.value(secretId, AWSCURRENT);
    if (text === undefined) throw new RotationError(`${secretId} has no AWSCURRENT value`);
    return parseSecretValue(text, 'current');
  }

  private async pending(secretId: string, version: string): Promise<TokenValue | undefined> {
    const text = await this.deps.secrets.value(secretId, AWSPENDING, version);
    if (text === undefined) return undefined;
    const value = parseSecretValue(text, 'pending');
    if (!hasToken(value)) throw new RotationError(`The pending version ${version} holds no token`);
    return value;
  }

  private async requirePending(secretId: string, version: string): Promise<TokenValue> {
    const value = await this.pending(secretId, version);
    if (value === undefined) throw new RotationError(`No AWSPENDING value for version ${version}`);
    return value;
  }

  /** A new token of the secret's spec into AWSPENDING; earlier abandoned tokens are revoked. */
  private async createSecret(
    secretId: string,
    version: string,
    spec: SecretSpec,
    rotationToken: string | undefined,
    audit: AuditContext,
  ): Promise<StepResult> {
    await this.current(secretId);
    if ((await this.pending(secretId, version)) !== undefined) return 'already-staged';
    await this.revokeAbandoned(secretId, version, audit);
    const now = this.now();
    const next: IssuedSecretValue = {
      ...spec,
      token: generateToken(this.deps.prefix),
      tokenId: generateTokenId(),
      expiresAt: new Date(now.getTime() + spec.lifetimeDays * DAY_MS).toISOString(),
    };
    await this.deps.secrets.putPending(secretId, version, JSON.stringify(next), rotationToken);
    return 'done';
  }

  /**
   * Versions that hold a token but no stage, newer than the current one, belong to rotations
   * that never finished (an operator removed their AWSPENDING). Their tokens must never work:
   * revoke any still live.
   */
  private async revokeAbandoned(
    secretId: string,
    version: string,
    audit: AuditContext,
  ): Promise<void> {
    for (const id of await this.deps.secrets.unstagedSinceCurrent(secretId)) {
      if (id === version) continue;
      const text = await this.deps.secrets.value(secretId, '', id);
      const value = text === undefined ? undefined : parseSecretValue(text, 'abandoned');
      if (value === undefined || !hasToken(value)) continue;
      const record = await this.deps.store.getByHash(hashToken(value.token), { consistent: true });
      if (record === undefined || record.status === 'revoked' || record.status === 'expired')
        continue;
      if (record.status === 'active' && record.rotatedTo !== undefined) continue; // was current once
      await this.deps.store.revoke(record.tokenHash, {
        ...audit,
        reason: 'rotation abandoned before the token became current',
      });
    }
  }

  /**
   * Register the pending token's hash as `pending`, linked to its predecessor, with the
   * configured spec (the secret's copy of it is for consumers, not trusted here).
   */
  private async setSecret(
    secretId: string,
    version: string,
    spec: SecretSpec,
    audit: AuditContext,
  ): Promise<void> {
    const pending = await this.requirePending(secretId, version);
    const current = await this.current(secretId);
    const tokenHash = hashToken(pending.token);
    const existing = await this.deps.store.getByHash(tokenHash, { consistent: true });
    if (existing !== undefined) {
      if (existing.tokenId !== pending.tokenId) {
        throw new RotationError(`The pending token's hash is registered as ${existing.tokenId}`);
      }
      return;
    }
    try {
      await this.deps.store.create(
        {
          tokenHash,
          tokenId: pending.tokenId,
          name: spec.name,
          owner: spec.owner,
          scopes: spec.scopes,
          hint: displayHint(pending.token),
          createdAt: this.now(),
          expiresAt: new Date(pending.expiresAt),
          ...(current.tokenId === undefined ? {} : { rotatedFrom: current.tokenId }),
          // Lets the alert run start this secret's rotation when the rotation policy says so.
          secretId,
        },
        audit,
        { pending: { rotationId: version } },
      );
    } catch (error) {
      // A concurrent run of this step won the race: fine if it registered the same token.
      const winner = await this.deps.store.getByHash(tokenHash, { consistent: true });
      if (winner?.tokenId !== pending.tokenId) throw error;
    }
  }

  /**
   * The pending token must pass the authorizer's own verification (format, checksum, lookup
   * by hash, revocation and expiry rules) as it will be once activated, and carry the
   * configured owner and scopes.
   */
  private async testSecret(secretId: string, version: string, spec: SecretSpec): Promise<void> {
    const pending = await this.requirePending(secretId, version);
    const verdict = await verifyToken(pending.token, {
      prefix: this.deps.prefix,
      now: this.now,
      lookup: async (hash) => {
        const record = await this.deps.store.getByHash(hash, { consistent: true });
        const ours = record?.status === 'pending' && record.tokenId === pending.tokenId;
        return ours ? { ...record, status: 'active' } : record;
      },
    });
    if (!verdict.allowed) {
      const advice =
        verdict.reason === 'expired'
          ? `; this rotation outlived the token: remove AWSPENDING from version ${version} and rotate again`
          : '';
      throw new RotationError(
        `Pending token ${pending.tokenId} fails verification: ${verdict.reason}${advice}`,
      );
    }
    const sameGrants =
      verdict.record.owner === spec.owner &&
      // Compared as lists: joined strings would make ["a b"] equal ["a", "b"].
      JSON.stringify([...verdict.record.scopes].sort()) === JSON.stringify([...spec.scopes].sort());
    if (!sameGrants) {
      throw new RotationError(
        `Pending token ${pending.tokenId} does not carry the configured owner and scopes`,
      );
    }
  }

  /** (1) activate, (2) move AWSCURRENT, undoing (1) if the move did not happen, (3) settle. */
  private async finishSecret(
    secretId: string,
    version: string,
    state: SecretState,
    audit: AuditContext,
  ): Promise<void> {
    const pending = await this.requirePending(secretId, version);
    const successorHash = hashToken(pending.token);
    const previous = await this.tokenOfStage(secretId, AWSPREVIOUS);
    const replaced = await this.tokenOfStage(secretId, AWSCURRENT);
    await this.deps.store.activateSuccessor(
      successorHash,
      previous === undefined ? {} : { endGraceOf: hashToken(previous.token) },
      audit,
    );
    const currentVersion = [...state.versions].find(([, labels]) => labels.includes(AWSCURRENT));
    try {
      await this.deps.secrets.moveCurrent(secretId, version, currentVersion?.[0]);
    } catch (error) {
      const after = await this.deps.secrets.describe(secretId).catch(() => undefined);
      const moved = after?.versions.get(version)?.includes(AWSCURRENT) === true;
      if (!moved) {
        // Unknown (describe failed) or not moved: only the latter may be undone safely.
        if (after !== undefined) await this.deps.store.deactivateSuccessor(successorHash, audit);
        throw error;
      }
    }
    await this.settle({ secretId, current: pending, previous: replaced }, false, audit);
  }

  /**
   * A retried finishSecret whose stage move went through: make sure step (3) happened. The move
   * may have been made outside finishSecret, so AWSCURRENT's token is activated if still
   * pending; a rotation in flight (AWSPENDING on another version) keeps its pending token.
   */
  private async resumeFinish(
    secretId: string,
    state: SecretState,
    audit: AuditContext,
  ): Promise<void> {
    const current = await this.tokenOfStage(secretId, AWSCURRENT);
    if (current === undefined) return;
    const previous = await this.tokenOfStage(secretId, AWSPREVIOUS);
    const inFlight = [...state.versions].find(
      ([, labels]) => labels.includes(AWSPENDING) && !labels.includes(AWSCURRENT),
    )?.[0];
    await this.settle({ secretId, current, previous, inFlight }, true, audit);
  }

  /** (3): the replaced token's grace starts now; the secret's other live tokens end. */
  private async settle(
    holders: SecretHolders,
    activateCurrent: boolean,
    audit: AuditContext,
  ): Promise<void> {
    const graceUntil = new Date(this.now().getTime() + this.deps.graceMs);
    await settleSecret(this.deps.store, holders, { graceUntil, activateCurrent }, audit);
  }

  private async tokenOfStage(secretId: string, stage: string): Promise<TokenValue | undefined> {
    const text = await this.deps.secrets.value(secretId, stage);
    if (text === undefined) return undefined;
    const value = parseSecretValue(text, stage);
    return hasToken(value) ? value : undefined;
  }
}
