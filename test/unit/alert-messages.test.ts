import { describe, expect, it } from 'vitest';
import { expiryAlert, subjectLine } from '../../shared/alerts/messages';
import { scheduleRun } from '../../shared/schedules/run';
import { tokenRecord } from '../support/tokens';

const NOW = new Date('2026-06-01T00:00:00.000Z');
const high = { days: 7, severity: 'high' } as const;

describe('expiry alert messages', () => {
  it('carry severity, owner and kind both in the body and as attributes', () => {
    const alert = expiryAlert(tokenRecord({ expiresAt: '2026-06-05T12:00:00.000Z' }), high, NOW);
    expect(alert.attributes).toEqual({ severity: 'high', owner: 'team-a', kind: 'token-expiring' });
    expect(alert.body).toMatchObject({ severity: 'high', owner: 'team-a', kind: 'token-expiring' });
    expect(alert.subject).toBe('[high] Service token ci expires in 4 days');
    expect(alert.body.summary).toBe(
      'Service token "ci" (tok_test) of team-a expires in 4 days, at 2026-06-05T12:00:00.000Z. Rotate it before then.',
    );
  });

  it('say "within a day" rather than "in 0 days"', () => {
    const alert = expiryAlert(
      tokenRecord({ expiresAt: '2026-06-01T10:00:00.000Z' }),
      { days: 1, severity: 'critical' },
      NOW,
    );
    expect(alert.subject).toBe('[critical] Service token ci expires within a day');
    expect(alert.body.daysLeft).toBe(0);
  });

  it('send owners of Secrets Manager tokens to the secret rotation, others to the API', () => {
    const held = expiryAlert(tokenRecord({ rotationId: 'v-1' }), high, NOW);
    const issued = expiryAlert(tokenRecord(), high, NOW);
    expect(held.body.howToRotate).toContain('aws secretsmanager rotate-secret');
    expect(issued.body.howToRotate).toContain('POST /tokens/tok_test/rotate');
  });

  it('keep SNS subjects printable ASCII and under 100 characters', () => {
    expect(subjectLine('Tökén\nname')).toBe('T?k?n?name');
    const long = subjectLine(`[low] ${'x'.repeat(200)}`);
    expect(long).toHaveLength(99);
    expect(subjectLine('x'.repeat(99))).toHaveLength(99);
    expect(subjectLine('x'.repeat(100))).toBe(`${'x'.repeat(96)}...`);
    expect(long.endsWith('...')).toBe(true);
    expect(subjectLine('short')).toBe('short');
  });
});

describe('schedule runs', () => {
  const event = { id: 'evt-1', time: '2026-06-01T03:17:00Z', 'detail-type': 'Scheduled Event' };
  const system = () => NOW;

  it('take the run id from the event and the time from the system clock by default', () => {
    expect(scheduleRun(event, 'system', system)).toEqual({ runId: 'evt-1', now: NOW });
  });

  it('take the time from the event when the clock source is the event', () => {
    expect(scheduleRun(event, 'event', system)).toEqual({
      runId: 'evt-1',
      now: new Date('2026-06-01T03:17:00Z'),
    });
  });

  it('still run a hand-made invocation on the system clock, with a fresh run id', () => {
    const run = scheduleRun({}, 'system', system);
    expect(run.now).toEqual(NOW);
    expect(run.runId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('refuse an event without a valid time when the clock comes from the event', () => {
    expect(() => scheduleRun({ id: 'x', time: 'yesterday' }, 'event')).toThrow(/ISO "time"/);
  });
});
