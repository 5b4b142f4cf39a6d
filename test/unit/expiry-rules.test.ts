import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dueAlert, EXPIRY_THRESHOLDS, SEVERITIES } from '../../shared/alerts/expiry-rules';
import { tokenRecord } from '../support/tokens';

const NOW = new Date('2026-06-01T00:00:00.000Z');
const DAY = 86_400_000;
const expiringIn = (days: number) => new Date(NOW.getTime() + days * DAY).toISOString();

describe('dueAlert', () => {
  it.each([
    ['45 days left', { expiresAt: expiringIn(45) }, undefined],
    ['exactly 30 days left', { expiresAt: expiringIn(30) }, { days: 30, severity: 'low' }],
    ['20 days left', { expiresAt: expiringIn(20) }, { days: 30, severity: 'low' }],
    ['20 days left, 30-day alert sent', { expiresAt: expiringIn(20), alertedDays: 30 }, undefined],
    [
      '10 days left, 30-day alert sent',
      { expiresAt: expiringIn(10), alertedDays: 30 },
      { days: 14, severity: 'medium' },
    ],
    [
      '5 days left, nothing sent: only the most urgent',
      { expiresAt: expiringIn(5) },
      { days: 7, severity: 'high' },
    ],
    [
      '12 hours left',
      { expiresAt: expiringIn(0.5), alertedDays: 7 },
      { days: 1, severity: 'critical' },
    ],
    ['12 hours left, critical sent', { expiresAt: expiringIn(0.5), alertedDays: 1 }, undefined],
    ['already expired', { expiresAt: expiringIn(-1) }, undefined],
    ['revoked', { expiresAt: expiringIn(5), status: 'revoked' as const }, undefined],
    [
      'pending (rotation not finished)',
      { expiresAt: expiringIn(5), status: 'pending' as const },
      undefined,
    ],
    ['rotated out (predecessor)', { expiresAt: expiringIn(5), rotatedTo: 'tok_next' }, undefined],
  ])('%s', (_, overrides, expected) => {
    expect(dueAlert({ ...tokenRecord(overrides), ...overrides }, NOW)).toEqual(expected);
  });

  it('over any schedule of runs, fires each threshold at most once, escalating', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.array(fc.double({ min: 0, max: 60, noNaN: true }), { minLength: 1, maxLength: 40 }),
        (lifetimeDays, runDays) => {
          const expiresAt = new Date(NOW.getTime() + lifetimeDays * DAY).toISOString();
          let alertedDays: number | undefined;
          const fired: (typeof SEVERITIES)[number][] = [];
          for (const day of [...runDays].sort((a, b) => a - b)) {
            const at = new Date(NOW.getTime() + day * DAY);
            const alert = dueAlert(
              {
                status: 'active',
                expiresAt,
                ...(alertedDays === undefined ? {} : { alertedDays }),
              },
              at,
            );
            if (alert !== undefined) {
              fired.push(alert.severity);
              alertedDays = alert.days;
            }
          }
          expect(new Set(fired).size).toBe(fired.length);
          const ranks = fired.map((s) => SEVERITIES.indexOf(s));
          expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
        },
      ),
    );
  });

  it('declares thresholds from the most distant to the most urgent', () => {
    expect(EXPIRY_THRESHOLDS.map((t) => [t.days, t.severity])).toEqual([
      [30, 'low'],
      [14, 'medium'],
      [7, 'high'],
      [1, 'critical'],
    ]);
  });
});
