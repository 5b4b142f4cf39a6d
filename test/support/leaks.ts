/** Test rigs for the leak intake: signing keys, a keys document, signed requests, spies. */
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import type { AlertPublisher } from '../../shared/alerts/publisher';
import { GithubKeyCache } from '../../shared/leaks/github-keys';
import { webhookSignature } from '../../shared/leaks/signatures';
import type { LeakReportRepository } from '../../shared/store';

export interface SigningKey {
  readonly id: string;
  readonly privateKey: KeyObject;
  readonly publicPem: string;
}

export function signingKey(id: string): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return {
    id,
    privateKey,
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** GitHub's keys document shape. */
export function keysDocument(keys: readonly SigningKey[]) {
  return {
    public_keys: keys.map((k, i) => ({
      key_identifier: k.id,
      key: k.publicPem,
      is_current: i === 0,
    })),
  };
}

/** A key cache over a document that tests can change, counting fetches. */
export function countingKeyCache(initial: readonly SigningKey[]) {
  const state = { keys: [...initial], fetches: 0 };
  const cache = new GithubKeyCache({
    fetchDocument: () => {
      state.fetches++;
      return Promise.resolve(keysDocument(state.keys));
    },
  });
  return { cache, state };
}

export function githubSignature(key: SigningKey, body: string): string {
  return sign('sha256', Buffer.from(body, 'utf8'), key.privateKey).toString('base64');
}

/** A REST proxy event for a leak route. */
export function leakEvent(
  resource: '/leaks/github' | '/leaks',
  body: string,
  headers: Record<string, string>,
) {
  return { httpMethod: 'POST', resource, path: resource, headers, body, isBase64Encoded: false };
}

export function githubEvent(key: SigningKey, body: string, keyId = key.id) {
  return leakEvent('/leaks/github', body, {
    'Github-Public-Key-Identifier': keyId,
    'Github-Public-Key-Signature': githubSignature(key, body),
    'Content-Type': 'application/json',
  });
}

export function webhookEvent(secret: string, body: string, nowMs: number) {
  const timestamp = String(Math.floor(nowMs / 1000));
  return leakEvent('/leaks', body, {
    'X-Leak-Timestamp': timestamp,
    'X-Leak-Signature': webhookSignature(secret, timestamp, body),
  });
}

/** A report of these strings, as GitHub sends it. */
export function reportBody(tokens: readonly string[], url = 'https://github.com/o/r/blob/x/f') {
  return JSON.stringify(
    tokens.map((token) => ({ token, type: 'service_token', url, source: 'content' })),
  );
}

/** Stand-ins for the store and the alert topic whose every call is recorded and rejected. */
export function recordingSpies(calls: string[]): {
  leaks: LeakReportRepository;
  alerts: AlertPublisher;
} {
  const fail = (name: string) => () => {
    calls.push(name);
    return Promise.reject(new Error(`unexpected call ${name}`));
  };
  return {
    leaks: {
      find: fail('find'),
      record: fail('record'),
      recordUnknown: fail('recordUnknown'),
      markAlerted: fail('markAlerted'),
      endGrace: fail('endGrace'),
    },
    alerts: { publish: fail('publish') },
  };
}
