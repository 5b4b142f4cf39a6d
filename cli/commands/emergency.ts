/** `emergency-revoke`: revoke one token or a whole owner at once, then flush the authorizer cache. */
import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import type { Command } from 'commander';
import { StageCacheFlusher } from '../../shared/api/cache-flusher';
import { validate } from '../../shared/api/http';
import { emergencyRevokeBody } from '../../shared/api/schemas';
import type { CliContext, GlobalOptions } from '../context';

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
    .option('--rest-api-id <id>', 'flush this REST API stage cache (stack output ApiUrl has it)')
    .option('--stage <name>', 'the stage to flush', 'v1')
    .action(async (options: EmergencyOptions) => {
      const { stores, caller, options: global } = context.session();
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
      const result = await context.service(stores, cache).emergency.emergencyRevoke(caller, body);
      context.print(result, () =>
        [
          `revoked ${String(result.revoked.length)} token(s)${result.revoked.length > 0 ? `: ${result.revoked.join(' ')}` : ''}`,
          `already revoked: ${String(result.alreadyRevoked)}`,
          result.cacheFlushed
            ? 'authorizer cache flushed'
            : `WARNING: ${result.warning ?? 'authorizer cache not flushed'}${options.restApiId === undefined ? ' Give --rest-api-id to flush it.' : ''}`,
        ].join('\n'),
      );
    });
}

/** The stage's authorizer cache, reached with the operator's region and profile. */
function stageCache(global: GlobalOptions, restApiId: string, stage: string): StageCacheFlusher {
  return new StageCacheFlusher(
    new APIGatewayClient({
      ...(global.region === undefined ? {} : { region: global.region }),
      ...(global.profile === undefined ? {} : { profile: global.profile }),
    }),
    restApiId,
    stage,
  );
}
