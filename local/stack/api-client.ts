/** A small HTTP client for the local stack's API, used by the demo and the end-to-end test. */
export interface Reply {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly headers: Headers;
}

export function apiClient(baseUrl: string) {
  return async (
    token: string | undefined,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<Reply> => {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    const parsed: unknown = text === '' ? {} : JSON.parse(text);
    const record =
      typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
        ? Object.fromEntries(Object.entries(parsed))
        : { items: parsed };
    return { status: response.status, body: record, headers: response.headers };
  };
}

/** A string field of a reply, or a clear failure naming what was missing. */
export function field(reply: Reply, name: string): string {
  const value = reply.body[name];
  if (typeof value !== 'string') {
    throw new Error(
      `Expected "${name}" in a ${String(reply.status)} reply: ${JSON.stringify(reply.body)}`,
    );
  }
  return value;
}

/** What polling a route came to: the first refusal and how long after the start it came. */
export interface Refused {
  readonly status: number;
  readonly afterMs: number;
}

/**
 * Call `request` every `everyMs` until it answers 403 (or 401), or `timeoutMs` has passed
 * since `since` (a `performance.now()` reading): when a revoked token stops working.
 * Undefined when it never stopped in time.
 */
export async function untilRefused(
  request: () => Promise<Reply>,
  options: { readonly since: number; readonly timeoutMs: number; readonly everyMs: number },
): Promise<Refused | undefined> {
  for (;;) {
    const { status } = await request();
    const afterMs = performance.now() - options.since;
    if (status === 403 || status === 401) return { status, afterMs };
    if (afterMs >= options.timeoutMs) return undefined;
    await new Promise((resolve) => setTimeout(resolve, options.everyMs));
  }
}
