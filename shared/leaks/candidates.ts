/**
 * What happens to each reported string, item by item. The checksum comes first, so garbage
 * costs no database read; then one read by hash. A live token gets the deployment's policy
 * (`revoke`, through the same store call as a manual revoke, or `notify`); a rotated-out token
 * in its grace period has the grace ended; an ended or unknown token is recorded and nothing
 * changes. Every outcome is recorded once per token and report (see store/leak-reports.ts).
 *
 * The result names each candidate by its position, hint and token id: never the token.
 */
import { createHash } from 'node:crypto';
import type { LeakAction } from '../alerts/leak-alert';
import { leakAlert } from '../alerts/leak-alert';
import type { AlertPublisher } from '../alerts/publisher';
import type { ChangeResult, LeakReportRepository } from '../store';
import type { AuditContext } from '../store/audit';
import { hashToken, parseToken } from '../token/format';
import { effectiveEnd, type TokenRecord } from '../token/record';
import type { LeakPolicy } from './policy';
import { candidateHint, type LeakCandidate } from './report';

export type { LeakAction };

export { LEAK_POLICIES, type LeakPolicy } from './policy';

/** Who reported: GitHub's partner program, or a scanner on the HMAC-signed intake. */
export type Scanner = 'github' | 'webhook';

export type LeakOutcome =
  | 'revoked'
  | 'grace-ended'
  | 'notified'
  | 'already-ended'
  | 'unknown'
  | 'malformed'
  | 'invalid-checksum'
  | 'failed';

export interface CandidateResult {
  readonly index: number;
  readonly hint: string;
  readonly outcome: LeakOutcome;
  readonly tokenId?: string;
  /** The same report was handled before: nothing was recorded or sent again. */
  readonly repeat?: boolean;
}

export interface LeakDeps {
  readonly prefix: string;
  readonly policy: LeakPolicy;
  readonly scanner: Scanner;
  readonly leaks: LeakReportRepository;
  /** The normal revoke path: `stores.tokens.revoke`. */
  readonly revoke: (tokenHash: string, context: AuditContext) => Promise<ChangeResult>;
  readonly alerts: AlertPublisher;
  readonly now: () => Date;
  /** Told of each candidate that failed, with the error (for the handler's log). */
  readonly onFailure?: (index: number, error: unknown) => void;
}

/** What a leak of `record` calls for under `policy`, at `now` (pure). */
export function leakAction(record: TokenRecord, policy: LeakPolicy, now: Date): LeakAction {
  if (record.status === 'pending') return policy;
  if (record.status !== 'active' || effectiveEnd(record) <= now.toISOString()) return 'none';
  if (record.rotatedTo !== undefined && record.graceUntil !== undefined) return 'end-grace';
  return policy;
}

const OUTCOME: Record<LeakAction, LeakOutcome> = {
  revoke: 'revoked',
  'end-grace': 'grace-ended',
  notify: 'notified',
  none: 'already-ended',
};

/** The report's identity: the same token, found at the same place by the same scanner. */
export function reportFingerprint(
  tokenHash: string,
  candidate: LeakCandidate,
  scanner: Scanner,
): string {
  const fields = [tokenHash, scanner, candidate.type, candidate.url, candidate.source];
  return createHash('sha256').update(JSON.stringify(fields)).digest('hex');
}

/** Handle every candidate in order; one that fails does not stop the others. */
export async function handleCandidates(
  candidates: readonly LeakCandidate[],
  deps: LeakDeps,
): Promise<CandidateResult[]> {
  const results: CandidateResult[] = [];
  for (const [index, candidate] of candidates.entries()) {
    const hint = candidateHint(candidate.token);
    try {
      results.push({ index, hint, ...(await handleCandidate(candidate, deps)) });
    } catch (error) {
      deps.onFailure?.(index, error);
      results.push({ index, hint, outcome: 'failed' });
    }
  }
  return results;
}

async function handleCandidate(
  candidate: LeakCandidate,
  deps: LeakDeps,
): Promise<Omit<CandidateResult, 'index' | 'hint'>> {
  const parsed = parseToken(candidate.token, deps.prefix);
  if (!parsed.ok) {
    return { outcome: parsed.reason === 'checksum' ? 'invalid-checksum' : 'malformed' };
  }
  const tokenHash = hashToken(parsed.token);
  const fingerprint = reportFingerprint(tokenHash, candidate, deps.scanner);
  const context: AuditContext = {
    actor: `leak:${deps.scanner}`,
    reason: `leak reported by ${deps.scanner}`,
  };
  const details = (action: LeakAction) => ({
    scanner: deps.scanner,
    type: candidate.type,
    url: candidate.url,
    source: candidate.source,
    action,
    report: fingerprint.slice(0, 16),
  });
  const found = await deps.leaks.find(tokenHash, fingerprint);
  if (found === undefined) {
    const first = await deps.leaks.recordUnknown(
      fingerprint,
      { action: 'token.leaked', outcome: 'noop', details: details('none') },
      context,
    );
    return { outcome: 'unknown', ...(first ? {} : { repeat: true }) };
  }
  const { record } = found;
  const action = leakAction(record, deps.policy, deps.now());
  const first =
    !found.reported &&
    (await deps.leaks.record(
      record,
      fingerprint,
      {
        action: 'token.leaked',
        outcome: action === 'none' ? 'noop' : 'success',
        details: details(action),
      },
      context,
      { alertDue: action !== 'none' },
    ));
  if (action === 'revoke') await deps.revoke(tokenHash, context);
  if (action === 'end-grace') await deps.leaks.endGrace(tokenHash, context.reason ?? '', context);
  // A repeat alerts only if the first delivery recorded an alert as due and did not send it
  // (it failed in between): at least once, and once on a normal redelivery.
  const alertDue = first ? action !== 'none' : found.reported && !found.alerted;
  if (alertDue) {
    // On a repeat the first delivery has acted already: say what it did.
    const sent = action !== 'none' ? action : record.status === 'revoked' ? 'revoke' : 'end-grace';
    const report = {
      scanner: deps.scanner,
      type: candidate.type,
      url: candidate.url,
      source: candidate.source,
    };
    await deps.alerts.publish(leakAlert(record, report, sent, fingerprint.slice(0, 16)));
    await deps.leaks.markAlerted(tokenHash, fingerprint);
  }
  return {
    outcome: OUTCOME[action],
    tokenId: record.tokenId,
    ...(first ? {} : { repeat: true }),
  };
}
