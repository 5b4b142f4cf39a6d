/**
 * The one parser of the Authorization header, used by the authorizer, the caller re-check and
 * the exchange route.
 */

/** `Bearer <token>` (scheme case-insensitive, as RFC 7235 says); anything else is missing. */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  return /^Bearer +(\S+) *$/i.exec(header)?.[1];
}
