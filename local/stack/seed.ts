/**
 * What the local stack puts in its tables and secrets by itself: a first admin token on new
 * tables, and the demo service's secret, whose spec the rotation function gets as TOKEN_SPECS.
 */
import { ADMIN_SCOPE } from '../../shared/authz/routes';
import type { SecretSpec } from '../../shared/rotation/secret-value';
import { LOCAL_AWS_ENV } from '../aws/clients';
import type { ApiRegistryRepository, TokenRepository } from '../../shared/store';
import { mintToken } from '../../shared/token/mint';
import { DAY_MS } from '../../shared/time';
import type { RotationDriver } from '../aws/rotation-driver';
import { DEMO_SECRET, LOCAL_ACCOUNT, ORDERS_API } from './names';

/** The demo service whose token the demo secret holds. */
export const DEMO_SPEC: SecretSpec = {
  name: 'demo-service',
  owner: 'team-demo',
  scopes: ['orders:read'],
  lifetimeDays: 90,
};

const ADMIN_TOKEN_DAYS = 90;
const ACTOR = 'local:bootstrap';

/** A first admin token on empty tables; its plaintext is returned once and never stored. */
export async function issueAdminToken(tokens: TokenRepository): Promise<string> {
  const now = new Date();
  const { token, input } = mintToken({
    name: 'local-admin',
    owner: 'platform',
    scopes: [ADMIN_SCOPE],
    createdAt: now,
    expiresAt: new Date(now.getTime() + ADMIN_TOKEN_DAYS * DAY_MS),
  });
  await tokens.create(input, { actor: ACTOR });
  return token;
}

/**
 * moto forgets its secrets on restart, so a resumed stack creates the demo secret afresh; the
 * tokens the previous one held must not stay valid with nobody holding them.
 */
export async function revokeOrphanedDemoTokens(tokens: TokenRepository): Promise<void> {
  let cursor: string | undefined;
  do {
    const page = await tokens.listByOwner(DEMO_SPEC.owner, { limit: 100, cursor });
    for (const record of page.items) {
      if (record.name !== DEMO_SPEC.name) continue;
      if (record.status === 'revoked' || record.status === 'expired') continue;
      await tokens.revoke(record.tokenHash, {
        actor: ACTOR,
        reason: 'the local stack restarted; the demo secret was created afresh',
      });
    }
    cursor = page.cursor;
  } while (cursor !== undefined);
}

/**
 * The example consumer's orders API (examples/consumer/routes.ts), registered as its
 * RestApiTokenAuthorizer's deploy registers it: so that tokens can carry its scopes, and so that
 * the stage flusher, listing the registry, flushes its stage on every revocation. (The
 * platform's own API needs no item: its management scopes are always known and its stage is
 * always flushed.) Registered again on every start: the item is overwritten, never duplicated.
 */
export async function registerLocalApis(registry: ApiRegistryRepository): Promise<void> {
  await registry.register(
    {
      apiId: ORDERS_API.restApiId,
      kind: 'rest',
      stages: [ORDERS_API.stage],
      region: LOCAL_AWS_ENV.AWS_REGION,
      account: LOCAL_ACCOUNT,
      routes: [...ORDERS_API.catalog],
    },
    `local-stack/${ORDERS_API.restApiId}`,
  );
}

/** The demo secret, registered for rotation but not rotated yet (its ARN). */
export function createDemoSecret(driver: RotationDriver): Promise<string> {
  return driver.createSecret(DEMO_SPEC, { rotateNow: false, name: DEMO_SECRET });
}
