/** `audit`: the trail of a token or of a day. */
import type { Command } from 'commander';
import { validate } from '../../shared/api/http';
import { auditQuery } from '../../shared/api/schemas';
import type { CliContext } from '../context';
import { pageText } from '../output';

/** Adds `audit`. */
export function registerAuditCommands(program: Command, context: CliContext): void {
  program
    .command('audit')
    .description('Audit events of a token or of a day, newest first')
    .option('--token <tokenId>', 'events of this token')
    .option('--day <yyyy-mm-dd>', 'events of this day (UTC)')
    .option('--limit <n>', 'page size (1–100)', '50')
    .option('--cursor <cursor>', 'the cursor printed by the previous page')
    .action(async (options: { token?: string; day?: string; limit: string; cursor?: string }) => {
      const query = validate(
        auditQuery,
        {
          limit: options.limit,
          ...(options.token === undefined ? {} : { targetId: options.token }),
          ...(options.day === undefined ? {} : { day: options.day }),
          ...(options.cursor === undefined ? {} : { cursor: options.cursor }),
        },
        'options',
      );
      const page = await (await context.backend()).call('listAuditEvents', { query });
      context.print(page, () =>
        pageText(
          page,
          (e) =>
            `${e.at}  ${e.action.padEnd(22)}  ${e.outcome.padEnd(7)}  ${e.targetId}  by ${e.actor}${e.reason === undefined ? '' : `  (${e.reason})`}`,
        ),
      );
    });
}
