/** Rotation requests: list the open ones, approve or reject one. */
import type { Command } from 'commander';
import { validate } from '../../shared/api/http';
import {
  approveBody,
  listRotationRequestsQuery,
  rejectBody,
  rotationRequestParams,
} from '../../shared/api/schemas';
import { wholeNumber } from '../args';
import type { CliContext } from '../context';
import { pageText } from '../output';

type Verdict = 'approve' | 'reject';

interface DecideOptions {
  readonly note?: string;
  readonly expiresInDays?: string;
  readonly graceDays?: string;
}

/** Adds requests, approve and reject, in that order. */
export function registerRequestCommands(program: Command, context: CliContext): void {
  program
    .command('requests')
    .description('Open rotation requests: pending (to decide) or approved (grant not used yet)')
    .option('--state <state>', 'pending or approved', 'pending')
    .option('--limit <n>', 'page size (1–100)')
    .option('--cursor <cursor>', 'from a previous page')
    .action(async (options: { state: string; limit?: string; cursor?: string }) => {
      const { stores, caller } = context.session();
      const query = validate(listRotationRequestsQuery, options, 'options');
      const page = await context.service(stores).requests.list(caller, query);
      context.print(page, () =>
        pageText(
          page,
          (r) =>
            `${r.requestId}  ${r.tokenId}  ${r.owner}  ${r.state}  asked ${r.requestedAt}  ${r.reason}`,
        ),
      );
    });
  for (const verdict of ['approve', 'reject'] as const) decide(program, context, verdict);
}

function decide(program: Command, context: CliContext, verdict: Verdict): void {
  program
    .command(verdict)
    .description(
      verdict === 'approve'
        ? 'Approve a rotation request: its owner may then rotate the token once within 24 hours'
        : 'Reject a rotation request',
    )
    .argument('<tokenId>', 'tok_…')
    .argument('<requestId>', 'rrq_…')
    .option('--note <text>', 'for the audit trail (required to reject)')
    .option('--expires-in-days <days>', "approve: the successor's lifetime (default: the token's)")
    .option('--grace-days <days>', 'approve: how long the replaced token keeps working')
    .action(async (tokenId: string, requestId: string, options: DecideOptions) => {
      const { stores, caller } = context.session();
      const params = validate(rotationRequestParams, { id: tokenId, requestId }, 'arguments');
      const chosen = terms(verdict, options);
      const decided = await context
        .service(stores)
        .requests.decide(caller, params.id, params.requestId, {
          approve: verdict === 'approve',
          ...chosen,
        });
      context.print(decided, () =>
        decided.state === 'approved'
          ? `${decided.requestId} approved: the grant can be used until ${decided.grantExpiresAt ?? '?'}`
          : `${decided.requestId} rejected`,
      );
    });
}

/** The decision's terms: an approval may set the successor's lifetime and grace; a rejection needs a reason. */
function terms(verdict: Verdict, options: DecideOptions) {
  if (verdict === 'reject') {
    return { note: validate(rejectBody, { reason: options.note }, 'options').reason };
  }
  return validate(
    approveBody,
    {
      note: options.note,
      ...(options.expiresInDays === undefined
        ? {}
        : { expiresInDays: wholeNumber(options.expiresInDays, '--expires-in-days') }),
      ...(options.graceDays === undefined
        ? {}
        : { graceDays: wholeNumber(options.graceDays, '--grace-days') }),
    },
    'options',
  );
}
