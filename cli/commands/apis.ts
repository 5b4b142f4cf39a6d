/** `apis`: the APIs the platform protects, as their authorizers registered them. */
import type { Command } from 'commander';
import { validate } from '../../shared/api/http';
import { listApisQuery } from '../../shared/api/schemas';
import type { CliContext } from '../context';
import { pageText } from '../output';

/** Adds `apis`. */
export function registerApiCommands(program: Command, context: CliContext): void {
  program
    .command('apis')
    .description('List the protected APIs: kind, id, stages, and the scopes each knows')
    .option('--limit <n>', 'page size (1–100)', '50')
    .option('--cursor <cursor>', 'the cursor printed by the previous page')
    .action(async (options: { limit: string; cursor?: string }) => {
      const query = validate(
        listApisQuery,
        {
          limit: options.limit,
          ...(options.cursor === undefined ? {} : { cursor: options.cursor }),
        },
        'options',
      );
      const page = await (await context.backend()).call('listApis', { query });
      context.print(page, () =>
        pageText(
          page,
          (api) =>
            `${api.kind.padEnd(4)}  ${api.apiId}  ${api.account}/${api.region}  stages ${api.stages.join(',')}  ${api.scopes.join(' ') || '(any valid token)'}`,
        ),
      );
    });
}
