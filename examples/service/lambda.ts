/**
 * An example Lambda service: the reader lives in module scope, so warm invocations reuse the
 * cached token (for less than the grace period) and a rotation reaches them by themselves.
 * Environment: SERVICE_TOKEN_SECRET (grant it with RotatedServiceToken.grantRead),
 * GRACE_PERIOD_SECONDS (the platform's rotationGracePeriod) and API_URL (a protected route).
 */
import { ServiceTokenReader } from '../../client/service-token-reader';
import { callProtected, type CallResult } from './call-api';

function env(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`Set ${name}`);
  return value;
}

let reader: ServiceTokenReader | undefined;

export async function handler(): Promise<CallResult> {
  reader ??= new ServiceTokenReader({
    secretId: env('SERVICE_TOKEN_SECRET'),
    gracePeriodSeconds: Number(env('GRACE_PERIOD_SECONDS')),
  });
  return callProtected(reader, env('API_URL'));
}
