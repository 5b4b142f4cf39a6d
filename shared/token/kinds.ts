/**
 * What each kind of token may do, written once. Every rule that depends on a token's kind (the
 * authorizer, rotation, alerts, the exchange) asks here. To add a kind: add it to
 * `STORED_KINDS` and give it a row in `KIND_RULES`; the compiler finds every use.
 */
import * as z from 'zod/mini';

/** Kinds stored in the `kind` attribute. An operational token has none (the default). */
export const STORED_KINDS = ['bootstrap'] as const;
export const storedKindSchema = z.enum(STORED_KINDS);
export type StoredKind = (typeof STORED_KINDS)[number];
export type TokenKind = 'operational' | StoredKind;

export interface KindRules {
  /** Passes the authorizer, so it may call routes (within its scopes). */
  readonly authenticates: boolean;
  /** Why it can never be rotated (by the API, a grant or a secret), or undefined if it can. */
  readonly notRotated?: string;
  /** Its owner gets expiry alerts and "due for rotation" reports about it. */
  readonly getsAlerts: boolean;
  /** Its one use is `POST /tokens/exchange`, for an operational token. */
  readonly exchanges: boolean;
}

export const KIND_RULES: Readonly<Record<TokenKind, KindRules>> = {
  operational: { authenticates: true, getsAlerts: true, exchanges: false },
  // Lives an hour and works once: nobody is alerted about it, and it is exchanged, not renewed.
  bootstrap: {
    authenticates: false,
    notRotated: 'it is exchanged, not rotated',
    getsAlerts: false,
    exchanges: true,
  },
};

export function kindOf(record: { readonly kind?: StoredKind | undefined }): TokenKind {
  return record.kind ?? 'operational';
}

export function kindRules(record: { readonly kind?: StoredKind | undefined }): KindRules {
  return KIND_RULES[kindOf(record)];
}

/** Stored kinds that get no alerts: the alert lease's condition leaves them out. */
export const SILENT_KINDS: readonly StoredKind[] = STORED_KINDS.filter(
  (kind) => !KIND_RULES[kind].getsAlerts,
);

/**
 * A token held in a Secrets Manager secret, rotated by rotating the secret: `secretId` marks the
 * tokens the rotation Lambda issues, `rotationId` the ones issued before `secretId` existed.
 */
export function isSecretHeld(record: {
  readonly secretId?: string | undefined;
  readonly rotationId?: string | undefined;
}): boolean {
  return record.secretId !== undefined || record.rotationId !== undefined;
}

/** Why a token of this kind can never be rotated, as a sentence; undefined if it can. */
export function whyNotRotated(record: {
  readonly tokenId: string;
  readonly kind?: StoredKind | undefined;
}): string | undefined {
  const notRotated = kindRules(record).notRotated;
  return notRotated === undefined
    ? undefined
    : `${record.tokenId} is a ${kindOf(record)} token: ${notRotated}`;
}
