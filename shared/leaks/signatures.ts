/**
 * Who may report a leak: GitHub (ECDSA P-256 / SHA-256 over the raw body, its key named by
 * `Github-Public-Key-Identifier`, the DER signature base64 in `Github-Public-Key-Signature`),
 * or a scanner holding the deployment's shared secret (HMAC-SHA256 over `<timestamp>.<body>`,
 * the timestamp within a window so that a captured request cannot be replayed later).
 * Pure but for the key cache; every refusal is a reason, never an exception.
 */
import { createHmac, timingSafeEqual, verify } from 'node:crypto';
import type { GithubKeyCache } from './github-keys';

export const GITHUB_KEY_ID_HEADER = 'github-public-key-identifier';
export const GITHUB_SIGNATURE_HEADER = 'github-public-key-signature';
export const WEBHOOK_TIMESTAMP_HEADER = 'x-leak-timestamp';
export const WEBHOOK_SIGNATURE_HEADER = 'x-leak-signature';
/** How far a webhook's timestamp may be from now, either way. */
export const WEBHOOK_WINDOW_SECONDS = 300;

export type Verdict = { readonly ok: true } | { readonly ok: false; readonly reason: string };

const refuse = (reason: string): Verdict => ({ ok: false, reason });
const BASE64 = /^[A-Za-z0-9+/]{1,400}={0,2}$/;

/** Verify GitHub's signature of `rawBody` (the bytes as received, before any parsing). */
export async function verifyGithubSignature(
  rawBody: string,
  keyId: string | undefined,
  signature: string | undefined,
  keys: GithubKeyCache,
): Promise<Verdict> {
  if (keyId === undefined || keyId === '') return refuse('no key identifier header');
  if (signature === undefined || signature === '') return refuse('no signature header');
  if (keyId.length > 256) return refuse('key identifier too long');
  if (!BASE64.test(signature)) return refuse('signature is not base64');
  const key = await keys.keyFor(keyId);
  if (key === undefined) return refuse('unknown key identifier');
  let valid: boolean;
  try {
    valid = verify('sha256', Buffer.from(rawBody, 'utf8'), key, Buffer.from(signature, 'base64'));
  } catch {
    valid = false; // a signature that is not DER at all
  }
  return valid ? { ok: true } : refuse('bad signature');
}

/** The webhook signature of `rawBody` at `timestamp`: `sha256=<hex>`. */
export function webhookSignature(secret: string, timestamp: string, rawBody: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${rawBody}`, 'utf8').digest('hex')}`;
}

/** Verify a webhook's HMAC and timestamp (seconds since the epoch) against `nowMs`. */
export function verifyWebhookSignature(
  rawBody: string,
  timestamp: string | undefined,
  signature: string | undefined,
  secret: string,
  nowMs: number,
): Verdict {
  if (timestamp === undefined || !/^\d{1,12}$/.test(timestamp)) {
    return refuse('no timestamp header (seconds since the epoch)');
  }
  if (signature === undefined || signature === '') return refuse('no signature header');
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > WEBHOOK_WINDOW_SECONDS) {
    return refuse('timestamp outside the window');
  }
  const expected = Buffer.from(webhookSignature(secret, timestamp, rawBody), 'utf8');
  const presented = Buffer.from(signature, 'utf8');
  // Lengths first: timingSafeEqual throws on a mismatch, and the length is no secret.
  if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
    return refuse('bad signature');
  }
  return { ok: true };
}
