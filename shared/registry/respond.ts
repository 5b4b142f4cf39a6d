/** Answer CloudFormation: a PUT of the response to the request's pre-signed S3 URL. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { CustomResourceResponse } from './custom-resource';

export type Put = (
  url: string,
  init: {
    method: 'PUT';
    headers: Record<string, string>;
    body: string;
    redirect: 'error';
    signal: AbortSignal;
  },
) => Promise<{ ok: boolean; status: number }>;

/** How long one PUT may take: the function's own timeout is 30 s. */
const PUT_TIMEOUT_MS = 8000;

/** Attempts of the PUT: S3 rarely fails, and a lost answer leaves the stack waiting an hour. */
const ATTEMPTS = 3;

/**
 * PUT `response` to `url`, retried on a network error or a 5xx (a 4xx, an expired or wrong
 * URL, will not get better). The content type is empty: the URL was signed without one.
 */
export async function sendResponse(
  url: string,
  response: CustomResourceResponse,
  put: Put = fetch,
): Promise<void> {
  const body = JSON.stringify(response);
  const headers = { 'content-type': '', 'content-length': String(Buffer.byteLength(body)) };
  for (let attempt = 1; ; attempt++) {
    // No redirects: the answer goes to the pre-signed URL and nowhere else.
    const init = {
      method: 'PUT' as const,
      headers,
      body,
      redirect: 'error' as const,
      signal: AbortSignal.timeout(PUT_TIMEOUT_MS),
    };
    const problem = await put(url, init).then(
      (reply) =>
        reply.ok ? undefined : { status: reply.status, why: `HTTP ${String(reply.status)}` },
      (error: unknown) => ({ status: 0, why: String(error) }),
    );
    if (problem === undefined) return;
    if ((problem.status >= 400 && problem.status < 500) || attempt >= ATTEMPTS) {
      throw new Error(
        `Could not answer CloudFormation (attempt ${String(attempt)}): ${problem.why}`,
      );
    }
    await sleep(200 * attempt);
  }
}
