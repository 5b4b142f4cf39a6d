/**
 * The deployment defaults that more than one part must agree on, written once: the CDK props,
 * the functions' configuration and the store all take them from here.
 */

/** Days a token item is kept after it ends (revoked, expired, rotated out), then TTL deletes it. */
export const DEFAULT_RETENTION_DAYS = 90;

/** Days an audit event is kept. */
export const DEFAULT_AUDIT_RETENTION_DAYS = 400;

/** Days a rotated-out token keeps working when nobody says otherwise (API and Secrets Manager). */
export const DEFAULT_GRACE_DAYS = 7;

/** Days a new token lives when its issuer does not say (API, CLI, exchange, secret specs). */
export const DEFAULT_TOKEN_LIFETIME_DAYS = 90;
