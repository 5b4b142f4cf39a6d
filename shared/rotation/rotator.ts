/**
 * The Secrets Manager rotation contract for service tokens. Every step is idempotent:
 * Secrets Manager retries steps and may run one twice.
 *
 * Safety design:
 * - setSecret registers the new token as `pending`: it does not authenticate until
 *   finishSecret activates it, so a rotation that fails before finishing leaves nothing
 *   usable behind (pending records leave the table by TTL).
 * - finishSecret commits DynamoDB first (activate the successor, give the predecessor its
 *   grace, end an older predecessor's grace: at most two valid tokens per secret), then moves
 *   AWSCURRENT. The reverse order could leave AWSCURRENT holding a token that does not
 *   authenticate yet, which is downtime for every consumer.
 * - If that stage move never happens and a new rotation starts, createSecret repairs it: the
 *   orphaned successor is revoked and the current token gets its full validity back.
 */
import * as z from 'zod/mini';
import type { AuditContext } from '../store/audit';
import type { TokenStore } from '../store/token-store';
import { displayHint, generateToken, generateTokenId, hashToken } from '../token/format';
import { verifyToken } from '../token/verify';
import { RotationError } from './errors';
import {
  hasToken,
  parseSecretValue,
  type IssuedSecretValue,
  type SecretValue,
} from './secret-value';
import { AWSCURRENT, AWSPENDING, type SecretsAdapter } from './secrets';

export const ROTATION_STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;
export type RotationStep = (typeof ROTATION_STEPS)[number];

export const rotationEventSchema = z.object({
  Step: z.enum(ROTATION_STEPS),
  SecretId: z.string().check(z.minLength(1)),
  ClientRequestToken: z.string().check(z.minLength(1)),
  RotationToken: z.optional(z.string()),
});

export type RotationEvent = z.infer<typeof rotationEventSchema>;

export type StepResult = 'done' | 'already-current';

export interface RotatorDeps {
  readonly secrets: SecretsAdapter;
  readonly store: TokenStore;
  readonly now?: () => Date;
  readonly prefix?: string;
  /** How long the predecessor keeps working after finishSecret; 0 ends it at once. */
  readonly graceMs: number;
}

const DAY_MS = 86_400_000;

export class TokenRotator {
  private readonly now: () => Date;

  constructor(private readonly deps: RotatorDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  async run(event: RotationEvent): Promise<StepResult> {
    const { SecretId: secretId, ClientRequestToken: version } = event;
    const state = await this.deps.secrets.describe(secretId);
    if (!state.rotationEnabled) throw new RotationError(`Rotation is not enabled for ${secretId}`);
    const stages = state.versions.get(version);
    if (stages === undefined)
      throw new RotationError(`Version ${version} has no stage for rotation`);
    if (stages.includes(AWSCURRENT)) return 'already-current';
    if (!stages.includes(AWSPENDING))
      throw new RotationError(`Version ${version} is not AWSPENDING`);

    const audit: AuditContext = { actor: 'system:rotation', requestId: version };
    switch (event.Step) {
      case 'createSecret':
        await this.createSecret(secretId, version, event.RotationToken, audit);
        break;
      case 'setSecret':
        await this.setSecret(secretId, version, audit);
        break;
      case 'testSecret':
        await this.testSecret(secretId, version);
        break;
      case 'finishSecret': {
        const current = [...state.versions].find(([, labels]) => labels.includes(AWSCURRENT));
        await this.finishSecret(secretId, version, current?.[0], audit);
        break;
      }
    }
    return 'done';
  }

  private async current(secretId: string): Promise<SecretValue> {
    const text = await this.deps.secrets.value(secretId, AWSCURRENT);
    if (text === undefined) throw new RotationError(`${secretId} has no AWSCURRENT value`);
    return parseSecretValue(text, 'current');
  }

  private async pending(secretId: string, version: string): Promise<IssuedSecretValue | undefined> {
    const text = await this.deps.secrets.value(secretId, AWSPENDING, version);
    if (text === undefined) return undefined;
    const value = parseSecretValue(text, 'pending');
    if (!hasToken(value)) throw new RotationError(`The pending version ${version} holds no token`);
    return value;
  }

  private async requirePending(secretId: string, version: string): Promise<IssuedSecretValue> {
    const value = await this.pending(secretId, version);
    if (value === undefined) throw new RotationError(`No AWSPENDING value for version ${version}`);
    return value;
  }

  /** A new token with the current token's owner and scopes, into AWSPENDING. */
  private async createSecret(
    secretId: string,
    version: string,
    rotationToken: string | undefined,
    audit: AuditContext,
  ): Promise<void> {
    const current = await this.current(secretId);
    if ((await this.pending(secretId, version)) !== undefined) return;
    const currentRecord = hasToken(current)
      ? await this.deps.store.getByHash(hashToken(current.token), { consistent: true })
      : undefined;
    if (currentRecord?.rotatedTo !== undefined) {
      await this.deps.store.repairAbandonedRotation(currentRecord.tokenHash, audit);
    }
    const now = this.now();
    const next: IssuedSecretValue = {
      name: currentRecord?.name ?? current.name,
      owner: currentRecord?.owner ?? current.owner,
      scopes: currentRecord?.scopes ?? current.scopes,
      lifetimeDays: current.lifetimeDays,
      token: generateToken(this.deps.prefix),
      tokenId: generateTokenId(),
      expiresAt: new Date(now.getTime() + current.lifetimeDays * DAY_MS).toISOString(),
    };
    await this.deps.secrets.putPending(secretId, version, JSON.stringify(next), rotationToken);
  }

  /** Register the pending token's hash, linked to its predecessor, as `pending`. */
  private async setSecret(secretId: string, version: string, audit: AuditContext): Promise<void> {
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
          name: pending.name,
          owner: pending.owner,
          scopes: pending.scopes,
          hint: displayHint(pending.token),
          createdAt: this.now(),
          expiresAt: new Date(pending.expiresAt),
          ...(current.tokenId === undefined ? {} : { rotatedFrom: current.tokenId }),
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
   * by hash, revocation and expiry rules) as it will be once activated, and keep the current
   * token's owner and scopes.
   */
  private async testSecret(secretId: string, version: string): Promise<void> {
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
      throw new RotationError(
        `Pending token ${pending.tokenId} fails verification: ${verdict.reason}`,
      );
    }
    const current = await this.current(secretId);
    const sameGrants =
      verdict.record.owner === current.owner &&
      [...verdict.record.scopes].sort().join(' ') === [...current.scopes].sort().join(' ');
    if (!sameGrants) {
      throw new RotationError(
        `Pending token ${pending.tokenId} does not keep the owner and scopes`,
      );
    }
  }

  /** Activate the successor and start the predecessor's grace, then move AWSCURRENT. */
  private async finishSecret(
    secretId: string,
    version: string,
    currentVersion: string | undefined,
    audit: AuditContext,
  ): Promise<void> {
    const pending = await this.requirePending(secretId, version);
    const current = await this.current(secretId);
    await this.deps.store.completeRotation(
      {
        successorHash: hashToken(pending.token),
        ...(hasToken(current) ? { predecessorHash: hashToken(current.token) } : {}),
        graceUntil: new Date(this.now().getTime() + this.deps.graceMs),
      },
      audit,
    );
    await this.deps.secrets.moveCurrent(secretId, version, currentVersion);
  }
}
