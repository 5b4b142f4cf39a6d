/**
 * One call of a protected route with the service's own token, as an example service makes
 * it: the token from the reader; on a 401 or 403 (the token may have ended early: revoked and
 * replaced, or two rotations within the cache age) it rereads the secret once and tries again.
 * A 403 for a scope the token lacks costs one more secret read per call, no more.
 */
import type { ServiceTokenReader } from '../../client/service-token-reader';

export interface CallResult {
  readonly status: number;
  /** The token id the API saw, from the secret (never the token itself). */
  readonly tokenId: string;
  readonly body: unknown;
}

export async function callProtected(
  reader: ServiceTokenReader,
  url: string,
  fetcher: typeof fetch = fetch,
): Promise<CallResult> {
  const send = (token: string) => fetcher(url, { headers: { authorization: `Bearer ${token}` } });
  const cached = await reader.value();
  let response = await send(cached.token);
  if (response.status !== 401 && response.status !== 403) return result(response, cached);
  const fresh = await reader.refresh();
  response = await send(fresh.token);
  return result(response, fresh);
}

async function result(response: Response, value: { tokenId: string }): Promise<CallResult> {
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, tokenId: value.tokenId, body };
}
