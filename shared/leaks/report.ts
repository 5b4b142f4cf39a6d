/**
 * A leak report as secret scanners send it: GitHub's partner protocol (a JSON array of
 * `{token, type, url, source}`), and the same shape on the generic, HMAC-signed intake. Pure:
 * raw body in, candidates or a refusal (400 malformed, 413 too large) out.
 *
 * The report's own fields (`type`, `url`, `source`) are third-party text: bounded here, and any
 * token in them is redacted before they reach an audit event, an alert or a log.
 */
import * as z from 'zod/mini';
import { redactTokens } from '../token/format';

/** Largest body accepted, in bytes: GitHub batches matches, but a batch is small. */
export const MAX_BODY_BYTES = 64 * 1024;
/** Most candidates in one report. */
export const MAX_CANDIDATES = 100;
const MAX_TOKEN_LENGTH = 256;
const MAX_URL_LENGTH = 2048;
const MAX_LABEL_LENGTH = 128;

const bounded = (max: number) => z.string().check(z.maxLength(max));

const itemSchema = z.object({
  token: z.string().check(z.minLength(1), z.maxLength(MAX_TOKEN_LENGTH)),
  type: z._default(bounded(MAX_LABEL_LENGTH), 'unspecified'),
  url: z._default(bounded(MAX_URL_LENGTH), ''),
  source: z._default(bounded(MAX_LABEL_LENGTH), 'unspecified'),
});

/** One reported string: a token candidate and where the scanner found it. */
export interface LeakCandidate {
  /** The reported string. Never logged, stored, echoed or published: only its hint. */
  readonly token: string;
  readonly type: string;
  readonly url: string;
  readonly source: string;
}

export type ParsedReport =
  | { readonly ok: true; readonly candidates: readonly LeakCandidate[] }
  | { readonly ok: false; readonly status: 400 | 413; readonly message: string };

const REDACTED = '[redacted]';

/** A report's own text, safe to record: tokens in it redacted, control characters dropped. */
export function safeLabel(text: string): string {
  return redactTokens(text.replace(/\p{Cc}/gu, ''), REDACTED);
}

/** Parse a raw body (already authenticated) into its candidates, or say why not. */
export function parseLeakReport(rawBody: string): ParsedReport {
  if (Buffer.byteLength(rawBody, 'utf8') > MAX_BODY_BYTES) {
    return { ok: false, status: 413, message: `The body is larger than ${MAX_BODY_BYTES} bytes` };
  }
  let json: unknown;
  try {
    json = JSON.parse(rawBody);
  } catch {
    return { ok: false, status: 400, message: 'The body is not JSON' };
  }
  if (!Array.isArray(json)) {
    return { ok: false, status: 400, message: 'The body must be a JSON array of matches' };
  }
  if (json.length === 0) return { ok: false, status: 400, message: 'The report is empty' };
  if (json.length > MAX_CANDIDATES) {
    return {
      ok: false,
      status: 413,
      message: `A report holds at most ${MAX_CANDIDATES} matches; send the rest in another`,
    };
  }
  const candidates: LeakCandidate[] = [];
  for (const [index, item] of json.entries()) {
    const parsed = itemSchema.safeParse(item);
    if (!parsed.success) {
      // Paths only: the values may be the token.
      const fields = [...new Set(parsed.error.issues.map((i) => i.path.join('.') || '(item)'))];
      return {
        ok: false,
        status: 400,
        message: `Match ${index} is invalid at ${fields.join(', ')}: each match is {token, type?, url?, source?} with strings`,
      };
    }
    const { token, type, url, source } = parsed.data;
    candidates.push({
      token,
      type: safeLabel(type),
      url: safeLabel(url),
      source: safeLabel(source),
    });
  }
  return { ok: true, candidates };
}

/**
 * A non-secret hint of a reported string for responses and logs: the last four characters, and
 * only when the string is long enough that four characters give nothing away.
 */
export function candidateHint(token: string): string {
  return token.length >= 20 ? `…${token.slice(-4)}` : '…';
}
