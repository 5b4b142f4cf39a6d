/**
 * The leak intake over HTTP: an API Gateway proxy event in, a response out. Order matters:
 * the size bound, then the signature over the raw body (a refusal reads and writes nothing),
 * then the report's shape, then the candidates one by one.
 *
 * Statuses: 200 every candidate handled; 400 malformed report; 401 unsigned or badly signed
 * (no detail: the reason goes to the log only); 404 another route; 413 too large; 503 the keys
 * or the secret could not be had, or a candidate failed (the scanner retries; handled
 * candidates are not handled twice).
 */
import * as z from 'zod/mini';
import { headerValue } from '../headers';
import {
  handleCandidates,
  type CandidateResult,
  type LeakDeps,
  type LeakOutcome,
  type Scanner,
} from './candidates';
import type { GithubKeyCache } from './github-keys';
import { MAX_BODY_BYTES, parseLeakReport } from './report';
import { LEAK_ROUTES } from './routes';
import {
  GITHUB_KEY_ID_HEADER,
  GITHUB_SIGNATURE_HEADER,
  verifyGithubSignature,
  verifyWebhookSignature,
  WEBHOOK_SIGNATURE_HEADER,
  WEBHOOK_TIMESTAMP_HEADER,
  type Verdict,
} from './signatures';

const eventSchema = z.object({
  httpMethod: z.string(),
  resource: z.string(),
  headers: z.nullable(z.optional(z.record(z.string(), z.string()))),
  body: z.nullable(z.optional(z.string())),
  isBase64Encoded: z.optional(z.boolean()),
});

export interface IntakeDeps {
  readonly githubKeys: GithubKeyCache;
  /** The webhook's shared secret (cached by the caller). */
  readonly webhookSecret: () => Promise<string>;
  /** Everything a candidate needs but the scanner. */
  readonly candidates: Omit<LeakDeps, 'scanner'>;
}

export interface IntakeResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** What the handler logs: never the body, never a token. */
export interface IntakeOutcome {
  readonly response: IntakeResponse;
  readonly scanner?: Scanner;
  /** Why a request was refused, for the log. */
  readonly refusal?: string;
  readonly results?: readonly CandidateResult[];
  readonly error?: unknown;
}

function reply(statusCode: number, body: unknown): IntakeResponse {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
    body: JSON.stringify(body),
  };
}

const refused = (statusCode: number, message: string, refusal = message): IntakeOutcome => ({
  response: reply(statusCode, { message }),
  refusal,
});

function scannerOf(method: string, resource: string): Scanner | undefined {
  for (const scanner of ['github', 'webhook'] as const) {
    const route = LEAK_ROUTES[scanner];
    if (route.method === method && route.path === resource) return scanner;
  }
  return undefined;
}

/** The body as received: API Gateway base64-encodes it for binary media types. */
function rawBody(body: string | null | undefined, base64: boolean | undefined): string {
  if (body === null || body === undefined) return '';
  return base64 === true ? Buffer.from(body, 'base64').toString('utf8') : body;
}

export async function handleLeakRequest(event: unknown, deps: IntakeDeps): Promise<IntakeOutcome> {
  const parsed = eventSchema.safeParse(event);
  if (!parsed.success) return refused(400, 'Not an API Gateway proxy request');
  const { httpMethod, resource, headers, isBase64Encoded } = parsed.data;
  const scanner = scannerOf(httpMethod, resource);
  if (scanner === undefined) return refused(404, 'No such route');
  const body = rawBody(parsed.data.body, isBase64Encoded);
  if (Buffer.byteLength(body, 'utf8') > MAX_BODY_BYTES) {
    return { ...refused(413, `The body is larger than ${MAX_BODY_BYTES} bytes`), scanner };
  }
  let verdict: Verdict;
  try {
    verdict =
      scanner === 'github'
        ? await verifyGithubSignature(
            body,
            headerValue(headers, GITHUB_KEY_ID_HEADER),
            headerValue(headers, GITHUB_SIGNATURE_HEADER),
            deps.githubKeys,
          )
        : verifyWebhookSignature(
            body,
            headerValue(headers, WEBHOOK_TIMESTAMP_HEADER),
            headerValue(headers, WEBHOOK_SIGNATURE_HEADER),
            await deps.webhookSecret(),
            deps.candidates.now().getTime(),
          );
  } catch (error) {
    return {
      response: reply(503, { message: 'The signature cannot be checked now: try again' }),
      scanner,
      error,
    };
  }
  if (!verdict.ok) return { ...refused(401, 'Unauthorized', verdict.reason), scanner };
  const report = parseLeakReport(body);
  if (!report.ok) return { ...refused(report.status, report.message), scanner };
  const results = await handleCandidates(report.candidates, { ...deps.candidates, scanner });
  const failed = results.some((r) => r.outcome === 'failed');
  return {
    response: reply(failed ? 503 : 200, { results, summary: summarize(results) }),
    scanner,
    results,
  };
}

function summarize(results: readonly CandidateResult[]): Partial<Record<LeakOutcome, number>> {
  const counts: Partial<Record<LeakOutcome, number>> = {};
  for (const { outcome } of results) counts[outcome] = (counts[outcome] ?? 0) + 1;
  return counts;
}
