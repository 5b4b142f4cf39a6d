/**
 * Rotation requests: a team asks for its token's rotation and, once approved, uses the grant;
 * an admin lists the open ones and approves or rejects them.
 */
import type { Command } from 'commander';
import { validate } from '../../shared/api/http';
import {
  approveBody,
  listRotationRequestsQuery,
  rejectBody,
  rotationRequestBody,
  rotationRequestParams,
} from '../../shared/api/schemas';
import { tokenIdArg, wholeNumber } from '../args';
import type { CliContext } from '../context';
import { pageText, printIssued, successorLines } from '../output';

type Verdict = 'approve' | 'reject';

interface DecideOptions {
  readonly note?: string;
  readonly expiresInDays?: string;
  readonly graceDays?: string;
}

/** Adds request-rotation, requests, approve, reject and execute, in that order. */
export function registerRequestCommands(program: Command, context: CliContext): void {
  program
    .command('request-rotation')
    .description("Ask an admin to rotate a token (a team's way to a rotation it may not do itself)")
    .argument('<tokenId>', 'tok_…')
    .requiredOption('--reason <text>', 'why, for the admin and the audit trail')
    .action(async (tokenId: string, options: { reason: string }) => {
      const params = { id: tokenIdArg(tokenId) };
      const body = validate(rotationRequestBody, { reason: options.reason }, 'options');
      const asked = await (await context.backend()).call('requestRotation', { params, body });
      context.print(asked, () => `${asked.requestId} ${asked.state}: an admin decides it`);
    });
  program
    .command('requests')
    .description('Open rotation requests: pending (to decide) or approved (grant not used yet)')
    .option('--state <state>', 'pending or approved', 'pending')
    .option('--limit <n>', 'page size (1–100)')
    .option('--cursor <cursor>', 'from a previous page')
    .action(async (options: { state: string; limit?: string; cursor?: string }) => {
      const query = validate(listRotationRequestsQuery, options, 'options');
      const page = await (await context.backend()).call('listRotationRequests', { query });
      context.print(page, () =>
        pageText(
          page,
          (r) =>
            `${r.requestId}  ${r.tokenId}  ${r.owner}  ${r.state}  asked ${r.requestedAt}  ${r.reason}`,
        ),
      );
    });
  for (const verdict of ['approve', 'reject'] as const) decide(program, context, verdict);
  program
    .command('execute')
    .description("Use an approved request's grant: rotate the token into its successor, once")
    .argument('<tokenId>', 'tok_…')
    .argument('<requestId>', 'rrq_…')
    .action(async (tokenId: string, requestId: string) => {
      const params = validate(rotationRequestParams, { id: tokenId, requestId }, 'arguments');
      const path = { id: params.id, requestId: params.requestId };
      const rotated = await (
        await context.backend()
      ).call('executeRotationRequest', {
        params: path,
      });
      printIssued(context, rotated, successorLines(rotated));
    });
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
      const params = validate(rotationRequestParams, { id: tokenId, requestId }, 'arguments');
      const backend = await context.backend();
      const path = { id: params.id, requestId: params.requestId };
      const decided =
        verdict === 'approve'
          ? await backend.call('approveRotationRequest', { params: path, body: approval(options) })
          : await backend.call('rejectRotationRequest', { params: path, body: rejection(options) });
      context.print(decided, () =>
        decided.state === 'approved'
          ? `${decided.requestId} approved: the grant can be used until ${decided.grantExpiresAt ?? '?'}`
          : `${decided.requestId} rejected`,
      );
    });
}

/** A rejection needs a reason: the note. */
function rejection(options: DecideOptions) {
  return validate(rejectBody, { reason: options.note }, 'options');
}

/** An approval may set the successor's lifetime and grace. */
function approval(options: DecideOptions) {
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
