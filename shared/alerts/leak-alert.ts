/**
 * The owner's alert for a leaked token (pure): critical, with what the platform did and what
 * the owner should do next. It names the token by id, name and display hint, never the token
 * or its hash; the report's fields are already redacted (shared/leaks/report.ts).
 */
import type { TokenRecord } from '../token/record';
import {
  ALERT_SCHEMA_VERSION,
  alertToken,
  subjectLine,
  type AlertMessage,
  type AlertToken,
} from './messages';

/** What the intake did about a leaked token. */
export type LeakAction = 'revoke' | 'end-grace' | 'notify' | 'none';

export interface LeakAlertBody {
  readonly summary: string;
  readonly kind: 'token-leaked';
  readonly severity: 'critical';
  readonly owner: string;
  /** Stable per token and report: consumers can drop repeats on it. */
  readonly alertId: string;
  readonly version: typeof ALERT_SCHEMA_VERSION;
  readonly token: AlertToken;
  readonly report: {
    readonly scanner: string;
    readonly type: string;
    readonly url: string;
    readonly source: string;
  };
  readonly action: LeakAction;
  readonly whatToDo: string;
}

const DONE: Record<LeakAction, string> = {
  revoke: 'It has been revoked: it no longer works anywhere.',
  'end-grace': 'It was rotated out and in its grace period; the grace has been ended.',
  notify: 'This deployment only notifies: the token STILL WORKS until you revoke it.',
  none: 'It had already stopped working.',
};

export function leakAlert(
  record: Pick<TokenRecord, 'tokenId' | 'name' | 'owner' | 'hint' | 'scopes' | 'expiresAt'>,
  report: LeakAlertBody['report'],
  action: LeakAction,
  reportId: string,
): AlertMessage<LeakAlertBody> {
  const where = report.url === '' ? `by ${report.scanner}` : `at ${report.url}`;
  const summary = `Service token "${record.name}" (${record.tokenId}) of ${record.owner} was found in public ${where}. ${DONE[action]}`;
  return {
    subject: subjectLine(`[critical] Service token ${record.name} was leaked`),
    attributes: { severity: 'critical', owner: record.owner, kind: 'token-leaked' },
    body: {
      summary,
      kind: 'token-leaked',
      severity: 'critical',
      owner: record.owner,
      alertId: `${record.tokenId}:leaked:${reportId}`,
      version: ALERT_SCHEMA_VERSION,
      token: alertToken(record),
      report,
      action,
      whatToDo:
        action === 'notify'
          ? `Revoke it now (tokens revoke ${record.tokenId}), issue a new one, and remove it from where it was found.`
          : `Issue a new token (tokens create, or rotate a Secrets Manager secret), deploy it, and remove the leaked one from where it was found: it is public.`,
    },
  };
}
