/**
 * What an alert says (pure). Every alert on the topic is a JSON body with top-level `severity`,
 * `owner` and `kind`, plus the same values as SNS message attributes:
 *
 * - subscriptions filter on the body (`FilterPolicyScope: MessageBody`), because the rotation
 *   failure alerts come straight from an EventBridge rule, and EventBridge cannot set SNS message
 *   attributes; one filter policy then matches both kinds of alert;
 * - the attributes are there for consumers that read them (e.g. an SQS subscriber).
 *
 * An alert names a token by id, name, owner and display hint; never the token or its hash.
 */
import type { TokenRecord } from '../token/record';
import type { Severity, Threshold } from './expiry-rules';

export const ALERT_SCHEMA_VERSION = 1;

export type AlertKind = 'token-expiring' | 'rotation-failed';

export interface AlertMessage {
  /** SNS Subject (e-mail subject line): printable ASCII, under 100 characters. */
  readonly subject: string;
  readonly body: ExpiryAlertBody;
  readonly attributes: { readonly severity: Severity; readonly owner: string; kind: AlertKind };
}

export interface ExpiryAlertBody {
  readonly summary: string;
  readonly kind: 'token-expiring';
  readonly severity: Severity;
  readonly owner: string;
  /** Stable per token and threshold: consumers can drop repeats on it. */
  readonly alertId: string;
  readonly version: typeof ALERT_SCHEMA_VERSION;
  readonly token: {
    readonly id: string;
    readonly name: string;
    readonly owner: string;
    readonly hint: string;
    readonly scopes: readonly string[];
    readonly expiresAt: string;
    readonly lastUsedAt: string | null;
  };
  readonly threshold: { readonly days: number };
  readonly daysLeft: number;
  readonly howToRotate: string;
}

const DAY_MS = 86_400_000;

/** The alert for `record` crossing `threshold`, as of `now`. */
export function expiryAlert(
  record: Pick<
    TokenRecord,
    'tokenId' | 'name' | 'owner' | 'hint' | 'scopes' | 'expiresAt' | 'lastUsedAt' | 'rotationId'
  >,
  threshold: Threshold,
  now: Date,
): AlertMessage {
  const msLeft = Date.parse(record.expiresAt) - now.getTime();
  // Whole days, rounded down, but never "0 days" for a token that still works.
  const daysLeft = Math.max(Math.floor(msLeft / DAY_MS), 0);
  const within = daysLeft === 0 ? 'within a day' : `in ${plural(daysLeft, 'day')}`;
  const summary =
    `Service token "${record.name}" (${record.tokenId}) of ${record.owner} expires ${within}, ` +
    `at ${record.expiresAt}. Rotate it before then.`;
  return {
    subject: subjectLine(`[${threshold.severity}] Service token ${record.name} expires ${within}`),
    attributes: { severity: threshold.severity, owner: record.owner, kind: 'token-expiring' },
    body: {
      summary,
      kind: 'token-expiring',
      severity: threshold.severity,
      owner: record.owner,
      alertId: `${record.tokenId}:expiring:${String(threshold.days)}d`,
      version: ALERT_SCHEMA_VERSION,
      token: {
        id: record.tokenId,
        name: record.name,
        owner: record.owner,
        hint: record.hint,
        scopes: [...record.scopes],
        expiresAt: record.expiresAt,
        lastUsedAt: record.lastUsedAt ?? null,
      },
      threshold: { days: threshold.days },
      daysLeft,
      howToRotate: howToRotate(record),
    },
  };
}

function howToRotate(record: Pick<TokenRecord, 'tokenId' | 'rotationId'>): string {
  if (record.rotationId !== undefined) {
    // Issued by the Secrets Manager rotation Lambda: rotation should have replaced it already.
    return (
      'This token is held in a Secrets Manager secret whose rotation should have replaced it. ' +
      'Check the secret\'s rotation status and run "Rotate secret immediately" ' +
      '(aws secretsmanager rotate-secret --secret-id <secret>); a failed rotation leaves the ' +
      'current token working.'
    );
  }
  return (
    `Issue a successor with POST /tokens/${record.tokenId}/rotate (or the CLI: tokens rotate ` +
    `${record.tokenId}), deploy it, and let this token run out its grace period.`
  );
}

function plural(n: number, unit: string): string {
  return `${String(n)} ${unit}${n === 1 ? '' : 's'}`;
}

/** SNS subjects must be printable ASCII without line breaks, "less than 100 characters". */
export function subjectLine(text: string): string {
  const ascii = text.replace(/[^\x20-\x7e]/g, '?');
  return ascii.length < 100 ? ascii : `${ascii.slice(0, 96)}...`;
}
