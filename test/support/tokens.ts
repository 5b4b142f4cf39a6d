/** Builders for test tokens: a plaintext plus the NewToken the store registers for it. */
import { displayHint, generateToken, generateTokenId, hashToken } from '../../shared/token/format';
import type { NewToken } from '../../shared/token/record';

export const DAY_MS = 86_400_000;

export interface IssuedTestToken {
  readonly plaintext: string;
  readonly input: NewToken;
}

export function newTestToken(
  overrides: Partial<NewToken> = {},
  now: Date = new Date(),
): IssuedTestToken {
  const plaintext = generateToken();
  return {
    plaintext,
    input: {
      tokenHash: hashToken(plaintext),
      tokenId: generateTokenId(),
      name: 'ci-deploy',
      owner: 'team-a',
      scopes: ['tokens:read'],
      hint: displayHint(plaintext),
      createdAt: now,
      expiresAt: new Date(now.getTime() + 90 * DAY_MS),
      ...overrides,
    },
  };
}
