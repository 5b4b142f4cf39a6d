/**
 * Break-glass (`--direct`): the tables themselves, with the caller's AWS credentials. The audit
 * actor is who AWS says the caller is (STS GetCallerIdentity), never a name the caller gives:
 * `--actor` only adds a note to it.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { randomUUID } from 'node:crypto';
import type { Caller } from '../shared/api/access';
import { BadRequest } from '../shared/api/errors';
import { holdsToken } from '../shared/token/format';
import { openApiRegistry, openStores, type PlatformStores } from '../shared/store';
import { CliError, type CliIo, type GlobalOptions } from './context';

/** The operator at the tables. */
export interface DirectSession {
  readonly stores: PlatformStores;
  /** The operator, with the admin scope, named by its IAM identity. */
  readonly caller: Caller;
  /** The caller's ARN, as STS gave it. */
  readonly arn: string;
}

/** `iam:<arn>`, with `--actor`'s note after it: `iam:arn:aws:iam::1:user/alice (pager duty)`. */
export function operatorActor(arn: string, note: string | undefined): string {
  if (holdsToken(arn)) throw new CliError('The caller identity holds a token: refused', 1);
  if (note === undefined) return `iam:${arn}`;
  if (!/^[\w .@:-]{1,64}$/.test(note) || holdsToken(note)) {
    throw new BadRequest('--actor must be 1–64 letters, digits, spaces, ".", "_", ":", "@" or "-"');
  }
  return `iam:${arn} (${note})`;
}

/** The operator's region and profile, for every AWS client of `--direct`. */
export function awsOptions(options: GlobalOptions) {
  return {
    ...(options.region === undefined ? {} : { region: options.region }),
    ...(options.profile === undefined ? {} : { profile: options.profile }),
  };
}

/** Who the caller is, by its credentials; a clear error if it has none that work. */
async function callerArn(options: GlobalOptions): Promise<string> {
  try {
    const identity = await new STSClient(awsOptions(options)).send(
      new GetCallerIdentityCommand({}),
    );
    if (identity.Arn === undefined) throw new Error('STS gave no ARN');
    return identity.Arn;
  } catch (error) {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    throw new CliError(
      `--direct needs AWS credentials; STS GetCallerIdentity failed (${reason})`,
      1,
    );
  }
}

export async function openDirect(
  options: GlobalOptions,
  env: CliIo['env'],
): Promise<DirectSession> {
  const tokensTable = options.tokensTable ?? env['TOKENS_TABLE_NAME'];
  const auditTable = options.auditTable ?? env['AUDIT_TABLE_NAME'];
  const registryTable = options.registryTable ?? env['REGISTRY_TABLE_NAME'];
  if (tokensTable === undefined || auditTable === undefined || registryTable === undefined) {
    throw new CliError(
      '--direct needs the tables: --tokens-table, --audit-table and --registry-table (or TOKENS_TABLE_NAME, AUDIT_TABLE_NAME and REGISTRY_TABLE_NAME), from the stack outputs',
      2,
    );
  }
  const arn = await callerArn(options);
  const client = new DynamoDBClient({
    ...awsOptions(options),
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
  });
  const stores = {
    ...openStores({ client, tables: { tokens: tokensTable, audit: auditTable } }),
    apis: openApiRegistry({ client, tableName: registryTable }),
  };
  // Direct table access is the admin's power already, so the operator acts as an admin.
  const caller: Caller = {
    tokenId: operatorActor(arn, options.actor),
    owner: '-',
    scopes: ['admin'],
    requestId: randomUUID(),
    operator: true,
  };
  return { stores, caller, arn };
}
