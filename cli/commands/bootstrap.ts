/** `bootstrap`: a single-use token that a new service exchanges for its own. */
import type { Command } from 'commander';
import { DEFAULT_TOKEN_LIFETIME_DAYS } from '../../shared/defaults';
import { validate } from '../../shared/api/http';
import { createBootstrapBody } from '../../shared/api/schemas';
import { wholeNumber } from '../args';
import type { CliContext } from '../context';
import { printIssued } from '../output';

interface BootstrapOptions {
  name: string;
  owner: string;
  scope: string[];
  expiresInMinutes: string;
  tokenExpiresInDays: string;
}

/** Adds `bootstrap`. */
export function registerBootstrapCommands(program: Command, context: CliContext): void {
  program
    .command('bootstrap')
    .description(
      'Issue a single-use bootstrap token that a new service exchanges (POST /tokens/exchange) for its own token',
    )
    .requiredOption('--name <name>', 'name of the token it will be exchanged for')
    .requiredOption('--owner <owner>', 'owner of that token')
    .requiredOption('--scope <scope...>', 'the most scopes that token may have')
    .option('--expires-in-minutes <minutes>', 'how long it can be exchanged (1–1440)', '60')
    .option(
      '--token-expires-in-days <days>',
      "the exchanged token's lifetime",
      String(DEFAULT_TOKEN_LIFETIME_DAYS),
    )
    .action(async (options: BootstrapOptions) => {
      const body = validate(
        createBootstrapBody,
        {
          name: options.name,
          owner: options.owner,
          scopes: options.scope,
          expiresInMinutes: wholeNumber(options.expiresInMinutes, '--expires-in-minutes'),
          tokenExpiresInDays: wholeNumber(options.tokenExpiresInDays, '--token-expires-in-days'),
        },
        'options',
      );
      const issued = await (await context.backend()).call('createBootstrapToken', { body });
      printIssued(context, issued, [`id       ${issued.tokenId}`, `expires  ${issued.expiresAt}`]);
    });
}
