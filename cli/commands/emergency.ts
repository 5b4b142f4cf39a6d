/**
 * `emergency-revoke`: revoke one token or a whole owner at once. Over the API, the platform
 * flushes its own stage's authorizer cache and every registered stage (the stage flusher);
 * under `--direct`, `--rest-api-id` names a stage to flush with the operator's credentials.
 */
import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import type { Command } from 'commander';
import { StageCacheFlusher } from '../../shared/api/cache-flusher';
import { validate } from '../../shared/api/http';
import { emergencyRevokeBody } from '../../shared/api/schemas';
import { CliError, type CliContext, type GlobalOptions } from '../context';
import { awsOptions } from '../direct';
import { countLive, withProgress } from '../progress';

interface EmergencyOptions {
  owner?: string;
  token?: string;
  reason: string;
  restApiId?: string;
  stage: string;
}

/** Adds `emergency-revoke`. */
export function registerEmergencyCommands(program: Command, context: CliContext): void {
  program
    .command('emergency-revoke')
    .description(
      'Revoke one token or all tokens of an owner, then flush the stage authorizer cache',
    )
    .option('--owner <owner>', 'revoke every token of this owner')
    .option('--token <tokenId>', 'revoke this token')
    .requiredOption('--reason <text>', 'why, for the audit trail')
    .option(
      '--rest-api-id <id>',
      '--direct: flush this REST API stage cache (stack output ApiUrl has it)',
    )
    .option('--stage <name>', '--direct: the stage to flush', 'v1')
    .action(async (options: EmergencyOptions) => {
      const global = context.options();
      if (options.restApiId !== undefined && global.direct !== true) {
        throw new CliError(
          '--rest-api-id is for --direct: over the API the platform flushes its stages itself',
          2,
        );
      }
      const body = validate(
        emergencyRevokeBody,
        {
          reason: options.reason,
          ...(options.owner === undefined ? {} : { owner: options.owner }),
          ...(options.token === undefined ? {} : { tokenId: options.token }),
        },
        'options',
      );
      const cache =
        options.restApiId === undefined
          ? undefined
          : stageCache(global, options.restApiId, options.stage);
      const backend = await context.backend(cache);
      let what = body.tokenId ?? '';
      if (body.owner !== undefined) {
        const owner = body.owner;
        const live = await countLive(
          context,
          (cursor) =>
            backend.call('listTokens', { query: { owner, status: 'active', limit: 100, cursor } }),
          owner,
        );
        what = `${String(live)} live token(s) of ${owner}`;
      }
      const result = await withProgress(
        context,
        `revoking ${what} and flushing the authorizer caches`,
        () => backend.call('emergencyRevoke', { body }),
      );
      context.print(result, () =>
        [
          `revoked ${String(result.revoked.length)} token(s)${result.revoked.length > 0 ? `: ${result.revoked.join(' ')}` : ''}`,
          `already revoked: ${String(result.alreadyRevoked)}`,
          result.cacheFlushed
            ? 'authorizer cache flushed'
            : `WARNING: ${result.warning ?? 'authorizer cache not flushed'}${global.direct === true && options.restApiId === undefined ? ' Give --rest-api-id to flush it.' : ''}`,
        ].join('\n'),
      );
    });
}

/** The stage's authorizer cache, reached with the operator's region and profile. */
function stageCache(global: GlobalOptions, restApiId: string, stage: string): StageCacheFlusher {
  return new StageCacheFlusher(new APIGatewayClient(awsOptions(global)), restApiId, stage);
}
