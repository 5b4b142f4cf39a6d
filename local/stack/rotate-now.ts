/** Secrets Manager's "Rotate secret immediately", as the `rotate-now` control command. */
import { displayHint } from '../../shared/token/format';
import type { RotationDriver } from '../aws/rotation-driver';
import { DEMO_SECRET } from './names';
import { ControlError } from './server';

export interface RotateNowResult {
  readonly secretArn: string;
  readonly versionId: string;
  readonly tokenId: string;
  readonly hint: string;
}

/** Rotate a secret (name or ARN; default: the demo secret) now, each step tried 3 times. */
export type RotateNow = (secret?: string) => Promise<RotateNowResult>;

/** Rotate-now on `driver`'s secrets, one rotation of a secret at a time. */
export function rotateNowWith(driver: RotationDriver): RotateNow {
  // Secrets Manager refuses a second rotation of a secret while one is in progress.
  const rotating = new Set<string>();
  return async (secret = DEMO_SECRET) => {
    const secretArn = [...driver.specs.keys()].find(
      (arn) => arn === secret || arn.includes(`:secret:${secret}-`),
    );
    if (secretArn === undefined) {
      throw new ControlError(404, `No rotated secret named ${secret}; try ${DEMO_SECRET}`);
    }
    if (rotating.has(secretArn)) {
      throw new ControlError(409, `A rotation of ${secret} is already in progress`);
    }
    rotating.add(secretArn);
    try {
      const versionId = await driver.rotate(secretArn, 3);
      const value = await driver.value(secretArn, 'AWSCURRENT');
      if (value.token === undefined || value.tokenId === undefined) {
        throw new Error('The rotation left no token in AWSCURRENT');
      }
      return { secretArn, versionId, tokenId: value.tokenId, hint: displayHint(value.token) };
    } finally {
      rotating.delete(secretArn);
    }
  };
}
