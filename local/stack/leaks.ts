/**
 * The leak intake on the local stack: a locally generated ECDSA P-256 key stands in for
 * GitHub's (its keys document is served at `GET /_local/github-keys`, where the intake's
 * GITHUB_KEYS_URL points), and the webhook's HMAC key is a secret in moto. `report` signs a
 * report the way GitHub does and posts it to `POST /leaks/github`, as the demo's "found in a
 * public repository" step does.
 */
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import type { Route } from '../../shared/authz/routes';
import { LEAK_ROUTES } from '../../shared/leaks/routes';
import { GITHUB_KEY_ID_HEADER, GITHUB_SIGNATURE_HEADER } from '../../shared/leaks/signatures';
import type { Reply } from './api-client';
import type { ControlHandler } from './server';

export const LOCAL_WEBHOOK_SECRET = 'service-tokens/leak-webhook';
export const GITHUB_KEYS_PATH = '/_local/github-keys';
const KEY_ID = 'local-secret-scanning-key';

/** The intake's routes as the local gateway serves them: public, no scopes. */
export const LEAK_GATEWAY_ROUTES: readonly Route[] = Object.values(LEAK_ROUTES).map((r) => ({
  method: r.method,
  path: r.path,
  scopes: [],
}));

export interface LocalLeakIntake {
  /** `GET /_local/github-keys`: GitHub's keys document, with the local key. */
  readonly keysRoute: readonly [string, ControlHandler];
  /** What the intake's function needs, for a stack at `url`. */
  environment(url: string): Record<string, string>;
  /** Report `tokens` as found at `url`, signed as GitHub signs, to the stack at `stackUrl`. */
  report(stackUrl: string, tokens: readonly string[], url: string): Promise<Reply>;
}

async function putWebhookSecret(secrets: SecretsManagerClient, value: string): Promise<void> {
  try {
    await secrets.send(
      new CreateSecretCommand({ Name: LOCAL_WEBHOOK_SECRET, SecretString: value }),
    );
  } catch (error) {
    if (!(error instanceof Error) || error.name !== 'ResourceExistsException') throw error;
    await secrets.send(
      new PutSecretValueCommand({ SecretId: LOCAL_WEBHOOK_SECRET, SecretString: value }),
    );
  }
}

export async function provisionLeakIntake(secrets: SecretsManagerClient): Promise<LocalLeakIntake> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  await putWebhookSecret(secrets, randomBytes(32).toString('hex'));
  return {
    keysRoute: [
      `GET ${GITHUB_KEYS_PATH}`,
      () =>
        Promise.resolve({ public_keys: [{ key_identifier: KEY_ID, key: pem, is_current: true }] }),
    ],
    environment: (url) => ({
      GITHUB_KEYS_URL: `${url}${GITHUB_KEYS_PATH}`,
      WEBHOOK_SECRET_ID: LOCAL_WEBHOOK_SECRET,
      LEAK_POLICY: 'revoke',
    }),
    report: async (stackUrl, tokens, url) => {
      const body = JSON.stringify(
        tokens.map((token) => ({ token, type: 'service_token', url, source: 'content' })),
      );
      const response = await fetch(`${stackUrl}${LEAK_ROUTES.github.path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [GITHUB_KEY_ID_HEADER]: KEY_ID,
          [GITHUB_SIGNATURE_HEADER]: sign('sha256', Buffer.from(body), privateKey).toString(
            'base64',
          ),
        },
        body,
      });
      const parsed: unknown = await response.json();
      const record =
        typeof parsed === 'object' && parsed !== null
          ? Object.fromEntries(Object.entries(parsed))
          : {};
      return { status: response.status, body: record, headers: response.headers };
    },
  };
}
