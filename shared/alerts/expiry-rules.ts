/**
 * Expiry alert rules (pure). A token gets an alert when it comes within 30, 14, 7 and 1 days
 * of its end, with rising severity. Each threshold fires at most once per token; a token that
 * is already past several thresholds when first seen gets only the most urgent one.
 */
import type { TokenRecord } from '../token/record';
import { DAY_MS } from '../time';

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface Threshold {
  readonly days: number;
  readonly severity: Severity;
}

/** Most distant first. */
export const EXPIRY_THRESHOLDS: readonly Threshold[] = [
  { days: 30, severity: 'low' },
  { days: 14, severity: 'medium' },
  { days: 7, severity: 'high' },
  { days: 1, severity: 'critical' },
];

export const ALERT_HORIZON_DAYS = Math.max(...EXPIRY_THRESHOLDS.map((t) => t.days));

/**
 * The alert due for a token now, or undefined. `alertedDays` is the most urgent threshold
 * already alerted (smaller is more urgent). Only active tokens that are not rotated out get
 * alerts: a rotated predecessor or a revoked token needs no reminder.
 */
export function dueAlert(
  record: Pick<TokenRecord, 'status' | 'expiresAt' | 'rotatedTo'> & { alertedDays?: number },
  now: Date,
): Threshold | undefined {
  if (record.status !== 'active' || record.rotatedTo !== undefined) return undefined;
  const left = Date.parse(record.expiresAt) - now.getTime();
  if (left <= 0) return undefined;
  const crossed = EXPIRY_THRESHOLDS.filter((t) => left <= t.days * DAY_MS);
  const mostUrgent = crossed.at(-1);
  if (mostUrgent === undefined) return undefined;
  if (record.alertedDays !== undefined && record.alertedDays <= mostUrgent.days) return undefined;
  return mostUrgent;
}
