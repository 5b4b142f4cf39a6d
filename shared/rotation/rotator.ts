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
import type { Stores } from '../store';
import { displayHint, generateToken, generateTokenId, hashToken } from '../token/format';
import { verifyToken } from '../token/verify';
import { revokeAbandoned } from './abandoned';
import { RotationError } from './errors';
import {
  assertIssuable,
  carriesSpec,
  type IssuedSecretValue,
  type SecretSpec,
} from './secret-value';
import { settleSecret, type SecretHolders } from './settle';
import {
  AWSCURRENT,
  AWSPENDING,
  AWSPREVIOUS,
  type SecretState,
  type SecretsAdapter,
} from './secrets';
import { currentValue, pendingToken, requirePendingToken, tokenOfStage } from './stages';
import { DAY_MS } from '../time';

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
  readonly stores: Pick<Stores, 'tokens' | 'rotations'>;
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

  /** A new token of the secret's spec into AWSPENDING; earlier abandoned tokens are revoked. */
  private async createSecret(
    secretId: string,
    version: string,
    spec: SecretSpec,
    rotationToken: string | undefined,
    audit: AuditContext,
  ): Promise<StepResult> {
    await currentValue(this.deps.secrets, secretId);
    const staged = await pendingToken(this.deps.secrets, secretId, version);
    if (staged !== undefined) return 'already-staged';
    await revokeAbandoned(this.deps, secretId, version, audit);
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
   * Register the pending token's hash as `pending`, linked to its predecessor, with the
   * configured spec (the secret's copy of it is for consumers, not trusted here).
   */
  private async setSecret(
    secretId: string,
    version: string,
    spec: SecretSpec,
    audit: AuditContext,
  ): Promise<void> {
    const { tokens } = this.deps.stores;
    const pending = await requirePendingToken(this.deps.secrets, secretId, version);
    const current = await currentValue(this.deps.secrets, secretId);
    const tokenHash = hashToken(pending.token);
    const existing = await tokens.getByHash(tokenHash, { consistent: true });
    if (existing !== undefined) {
      if (existing.tokenId !== pending.tokenId) {
        throw new RotationError(`The pending token's hash is registered as ${existing.tokenId}`);
      }
      return;
    }
    try {
      await tokens.create(
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
      const winner = await tokens.getByHash(tokenHash, { consistent: true });
      if (winner?.tokenId !== pending.tokenId) throw error;
    }
  }

  /**
   * The pending token must pass the authorizer's own verification (format, checksum, lookup
   * by hash, revocation and expiry rules) as it will be once activated, and carry the
   * configured owner and scopes.
   */
  private async testSecret(secretId: string, version: string, spec: SecretSpec): Promise<void> {
    const pending = await requirePendingToken(this.deps.secrets, secretId, version);
    const verdict = await verifyToken(pending.token, {
      prefix: this.deps.prefix,
      now: this.now,
      lookup: async (hash) => {
        const record = await this.deps.stores.tokens.getByHash(hash, { consistent: true });
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
    if (!carriesSpec(verdict.record, spec)) {
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
    const { secrets, stores } = this.deps;
    const pending = await requirePendingToken(secrets, secretId, version);
    const successorHash = hashToken(pending.token);
    const previous = await tokenOfStage(secrets, secretId, AWSPREVIOUS);
    const replaced = await tokenOfStage(secrets, secretId, AWSCURRENT);
    await stores.rotations.activateSuccessor(
      successorHash,
      previous === undefined ? {} : { endGraceOf: hashToken(previous.token) },
      audit,
    );
    const currentVersion = [...state.versions].find(([, labels]) => labels.includes(AWSCURRENT));
    try {
      await secrets.moveCurrent(secretId, version, currentVersion?.[0]);
    } catch (error) {
      const after = await secrets.describe(secretId).catch(() => undefined);
      const moved = after?.versions.get(version)?.includes(AWSCURRENT) === true;
      if (!moved) {
        // Unknown (describe failed) or not moved: only the latter may be undone safely.
        if (after !== undefined) await stores.rotations.deactivateSuccessor(successorHash, audit);
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
    const current = await tokenOfStage(this.deps.secrets, secretId, AWSCURRENT);
    if (current === undefined) return;
    const previous = await tokenOfStage(this.deps.secrets, secretId, AWSPREVIOUS);
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
    await settleSecret(this.deps.stores, holders, { graceUntil, activateCurrent }, audit);
  }
}
