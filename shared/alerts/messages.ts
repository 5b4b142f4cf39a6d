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
import { isSecretHeld } from '../token/kinds';
import type { LeakAlertBody } from './leak-alert';
import type { TokenRecord } from '../token/record';
import type { RotationDue } from '../token/rotation-policy';
import type { Severity, Threshold } from './expiry-rules';
import { DAY_MS } from '../time';

export const ALERT_SCHEMA_VERSION = 1;

export type AlertKind = 'token-expiring' | 'rotation-failed' | 'rotation-due' | 'token-leaked';

export interface AlertMessage<B extends AlertBody = AlertBody> {
  /** SNS Subject (e-mail subject line): printable ASCII, under 100 characters. */
  readonly subject: string;
  readonly body: B;
  readonly attributes: { readonly severity: Severity; readonly owner: string; kind: AlertKind };
}

export type AlertBody = ExpiryAlertBody | RotationDueAlertBody | LeakAlertBody;

/** How every alert names its token: public id, labels and hint, never the token. */
export interface AlertToken {
  readonly id: string;
  readonly name: string;
  readonly owner: string;
  readonly hint: string;
  readonly scopes: readonly string[];
  readonly expiresAt: string;
}

export interface ExpiryAlertBody {
  readonly summary: string;
  readonly kind: 'token-expiring';
  readonly severity: Severity;
  readonly owner: string;
  /** Stable per token and threshold: consumers can drop repeats on it. */
  readonly alertId: string;
  readonly version: typeof ALERT_SCHEMA_VERSION;
  readonly token: AlertToken & { readonly lastUsedAt: string | null };
  readonly threshold: { readonly days: number };
  readonly daysLeft: number;
  readonly howToRotate: string;
}

/** A token due for rotation under its rotation policy (age, or heavy use). */
export interface RotationDueAlertBody {
  readonly summary: string;
  readonly kind: 'rotation-due';
  readonly severity: Severity;
  readonly owner: string;
  /** Stable per token: consumers can drop repeats on it. */
  readonly alertId: string;
  readonly version: typeof ALERT_SCHEMA_VERSION;
  readonly token: ExpiryAlertBody['token'] & { readonly createdAt: string };
  readonly policy: {
    readonly rule: RotationDue['rule'];
    readonly source: RotationDue['source'];
    readonly rotateAfterDays: number;
    readonly dueAt: string;
    readonly usesPerDay: number;
  };
  /** True when the alert run started the secret's rotation itself (Secrets Manager tokens). */
  readonly rotationStarted: boolean;
  readonly howToRotate: string;
}

/** The alert for a token due for rotation under its policy. */
export function rotationDueAlert(
  record: Pick<
    TokenRecord,
    | 'tokenId'
    | 'name'
    | 'owner'
    | 'hint'
    | 'scopes'
    | 'expiresAt'
    | 'lastUsedAt'
    | 'rotationId'
    | 'createdAt'
  >,
  due: RotationDue,
  rotationStarted: boolean,
): AlertMessage<RotationDueAlertBody> {
  const afterDays =
    due.rule === 'usage' && due.policy.highUsage !== undefined
      ? due.policy.highUsage.rotateAfterDays
      : due.policy.rotateAfterDays;
  const why =
    due.rule === 'usage'
      ? `is used about ${String(due.usesPerDay)} times a day, so its policy rotates it after ${plural(afterDays, 'day')}`
      : `is older than the ${plural(afterDays, 'day')} its policy allows`;
  const summary =
    `Service token "${record.name}" (${record.tokenId}) of ${record.owner} ${why}: ` +
    (rotationStarted ? 'its secret is being rotated now.' : 'rotate it.');
  const severity: Severity = due.rule === 'usage' ? 'high' : 'medium';
  return {
    subject: subjectLine(`[${severity}] Service token ${record.name} is due for rotation`),
    attributes: { severity, owner: record.owner, kind: 'rotation-due' },
    body: {
      summary,
      kind: 'rotation-due',
      severity,
      owner: record.owner,
      alertId: `${record.tokenId}:rotation-due`,
      version: ALERT_SCHEMA_VERSION,
      token: { ...tokenFacts(record), createdAt: record.createdAt },
      policy: {
        rule: due.rule,
        source: due.source,
        rotateAfterDays: afterDays,
        dueAt: due.dueAt,
        usesPerDay: due.usesPerDay,
      },
      rotationStarted,
      howToRotate: rotationStarted
        ? 'Nothing to do: services reading the secret get the new token; the old one works through its grace period.'
        : howToRotate(record),
    },
  };
}

/** The alert for `record` crossing `threshold`, as of `now`. */
export function expiryAlert(
  record: Pick<
    TokenRecord,
    'tokenId' | 'name' | 'owner' | 'hint' | 'scopes' | 'expiresAt' | 'lastUsedAt' | 'rotationId'
  >,
  threshold: Threshold,
  now: Date,
): AlertMessage<ExpiryAlertBody> {
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
      token: tokenFacts(record),
      threshold: { days: threshold.days },
      daysLeft,
      howToRotate: howToRotate(record),
    },
  };
}

/** What an alert says about a token: never the token or its hash. */
/** A token as every alert names it (the leak alert too). */
export function alertToken(
  record: Pick<TokenRecord, 'tokenId' | 'name' | 'owner' | 'hint' | 'scopes' | 'expiresAt'>,
): AlertToken {
  return {
    id: record.tokenId,
    name: record.name,
    owner: record.owner,
    hint: record.hint,
    scopes: [...record.scopes],
    expiresAt: record.expiresAt,
  };
}

function tokenFacts(
  record: Pick<
    TokenRecord,
    'tokenId' | 'name' | 'owner' | 'hint' | 'scopes' | 'expiresAt' | 'lastUsedAt'
  >,
): ExpiryAlertBody['token'] {
  return { ...alertToken(record), lastUsedAt: record.lastUsedAt ?? null };
}

function howToRotate(record: Pick<TokenRecord, 'tokenId' | 'rotationId' | 'secretId'>): string {
  if (isSecretHeld(record)) {
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
