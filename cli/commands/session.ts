/**
 * `login`, `whoami`, `logout`: the team's token for the API. The token is read from stdin or a
 * prompt, never from an argument (arguments end up in shell history and `ps`), checked with
 * `GET /me` before it is stored, and never printed.
 */
import type { Command } from 'commander';
import { remoteBackend } from '../backend';
import { CliError, type CliContext } from '../context';
import {
  apiUrlOf,
  credentialsPath,
  forgetCredentials,
  saveCredentials,
  tokenOf,
  URL_VARIABLE,
} from '../credentials';
import { describe } from '../output';

/** Adds login, whoami and logout, in that order. */
export function registerSessionCommands(program: Command, context: CliContext): void {
  program
    .command('login')
    .description(
      'Store your service token for the API (read from stdin or a prompt; checked with /me)',
    )
    .option('--api-url <url>', 'the management API, with its stage (stack output ApiUrl)')
    .action(async (options: { apiUrl?: string }) => {
      const given = options.apiUrl ?? context.options().apiUrl ?? context.io.env[URL_VARIABLE];
      if (given === undefined || given === '') {
        throw new CliError('Give --api-url: the management API with its stage (output ApiUrl)', 2);
      }
      const apiUrl = apiUrlOf(given);
      const read = context.io.readSecret;
      if (read === undefined) throw new CliError('No terminal or stdin to read the token from', 2);
      const token = tokenOf(await read('Service token (sk_…): '));
      const me = await remoteBackend({ apiUrl, token }, context.io.fetch).call('getMe');
      const path = credentialsPath(context.io.env);
      saveCredentials(path, { apiUrl, token });
      context.print({ ...me, apiUrl, credentials: path }, () =>
        [
          `logged in to ${apiUrl} as ${me.tokenId} (${me.owner}/${me.name})`,
          `stored in ${path}`,
        ].join('\n'),
      );
    });

  program
    .command('whoami')
    .description('Who you act as: the token (over the API) or the IAM identity (--direct)')
    .action(async () => {
      if (context.options().direct === true) {
        const { caller, arn } = await context.direct('whoami');
        const view = { actor: caller.tokenId, arn, admin: true };
        context.print(view, () => describe(view));
        return;
      }
      const me = await (await context.backend()).call('getMe');
      context.print(me, () => describe(me));
    });

  program
    .command('logout')
    .description('Forget the stored token (it stays valid: revoke it to end it)')
    .action(() => {
      const path = credentialsPath(context.io.env);
      const removed = forgetCredentials(path);
      context.print({ removed, credentials: path }, () =>
        removed ? `removed ${path}` : `nothing stored at ${path}`,
      );
    });
}
