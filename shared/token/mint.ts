/**
 * Minting: a fresh plaintext token and the `NewToken` that registers it (hash, hint, public id),
 * and the successor a rotation issues. Pure apart from the randomness of the token and its id.
 */
import {
  DEFAULT_TOKEN_PREFIX,
  displayHint,
  generateToken,
  generateTokenId,
  hashToken,
} from './format';
import type { NewToken, TokenRecord } from './record';
import { DAY_MS } from '../time';

/** What a caller decides about a new token; minting adds the secret parts. */
export type TokenFields = Omit<NewToken, 'tokenHash' | 'tokenId' | 'hint'>;

export interface Minted {
  /** The plaintext: shown once, never stored. */
  readonly token: string;
  readonly input: NewToken;
}

export function mintToken(fields: TokenFields, prefix: string = DEFAULT_TOKEN_PREFIX): Minted {
  const token = generateToken(prefix);
  return {
    token,
    input: {
      ...fields,
      tokenHash: hashToken(token),
      tokenId: generateTokenId(),
      hint: displayHint(token),
    },
  };
}

/** The earlier of `date` and an optional cap. */
export function earliest(date: Date, cap: Date | undefined): Date {
  return cap !== undefined && cap < date ? cap : date;
}

export interface SuccessorTerms {
  readonly lifetimeMs: number;
  readonly graceDays: number;
  /** The successor never outlives this (its issuer's expiry, a grant's cap). */
  readonly expiresBy?: Date | undefined;
}

/**
 * A successor of `current`: same name, owner, scopes, metadata and rotation policy; the
 * lifetime given (capped at `expiresBy`); and the predecessor's grace deadline.
 */
export function mintSuccessor(
  current: TokenRecord,
  terms: SuccessorTerms,
  now: Date,
  prefix?: string,
): Minted & { readonly graceUntil: Date } {
  const minted = mintToken(
    {
      name: current.name,
      owner: current.owner,
      scopes: current.scopes,
      createdAt: now,
      expiresAt: earliest(new Date(now.getTime() + terms.lifetimeMs), terms.expiresBy),
      ...(current.metadata === undefined ? {} : { metadata: current.metadata }),
      ...(current.rotationPolicy === undefined ? {} : { rotationPolicy: current.rotationPolicy }),
    },
    prefix,
  );
  return { ...minted, graceUntil: new Date(now.getTime() + terms.graceDays * DAY_MS) };
}
