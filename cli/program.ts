/**
 * `tokens`: the operator CLI. It talks to the token tables directly with the usual AWS
 * credential chain (`--region`, `--profile`, or the environment) and applies the same rules,
 * validation and audit trail as the management API, acting as an admin named `cli:<user>`.
 */
import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Command, CommanderError, Option } from 'commander';
import { randomUUID } from 'node:crypto';
import { userInfo } from 'node:os';
import { StageCacheFlusher } from '../shared/api/cache-flusher';
import { BadRequest, failureOf } from '../shared/api/errors';
import { validate } from '../shared/api/http';
import { isReservedKey, RESERVED_KEY_MESSAGE } from '../shared/api/strict-input';
import {
  approveBody,
  auditQuery,
  createBootstrapBody,
  createTokenBody,
  listRotationRequestsQuery,
  rejectBody,
  rotationRequestParams,
  emergencyRevokeBody,
  listTokensQuery,
  revokeQuery,
  rotateTokenBody,
  tokenIdSchema,
} from '../shared/api/schemas';
import { holdsToken } from '../shared/token/format';
import { TokenService, type Caller } from '../shared/api/token-service';
import { Cleanup } from '../shared/schedules/cleanup';
import { openStores, type Stores } from '../shared/store';

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  env: Readonly<Record<string, string | undefined>>;
}

interface GlobalOptions {
  region?: string;
  profile?: string;
  endpoint?: string;
  tokensTable?: string;
  auditTable?: string;
  actor?: string;
  json?: boolean;
}

/** Exit codes: 0 done, 1 failed (AWS, conflict), 2 bad input or not found. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

interface DecideOptions {
  readonly note?: string;
  readonly expiresInDays?: string;
  readonly graceDays?: string;
}

export function buildProgram(io: CliIo): Command {
  const program = new Command('tokens')
    .description('Operate sk_ service tokens: create, list, rotate, revoke, audit, clean up.')
    .addOption(new Option('--region <region>', 'AWS region').env('AWS_REGION'))
    .addOption(new Option('--profile <profile>', 'AWS profile of the shared config'))
    .addOption(
      new Option('--endpoint <url>', 'DynamoDB endpoint (e.g. a local emulator)').env(
        'AWS_ENDPOINT_URL_DYNAMODB',
      ),
    )
    .addOption(
      new Option('--tokens-table <name>', 'the tokens table (stack output TokensTableName)').env(
        'TOKENS_TABLE_NAME',
      ),
    )
    .addOption(
      new Option('--audit-table <name>', 'the audit table (stack output AuditTableName)').env(
        'AUDIT_TABLE_NAME',
      ),
    )
    .option('--actor <name>', 'who you are, for the audit trail (default: cli:<os user>)')
    .option('--json', 'print JSON for scripts')
    .showHelpAfterError()
    .configureOutput({
      writeOut: (text) => {
        io.out(text);
      },
      writeErr: (text) => {
        io.err(text);
      },
    })
    .exitOverride();

  const context = () => {
    const options = program.opts<GlobalOptions>();
    const tokensTable = options.tokensTable ?? io.env['TOKENS_TABLE_NAME'];
    const auditTable = options.auditTable ?? io.env['AUDIT_TABLE_NAME'];
    if (tokensTable === undefined || auditTable === undefined) {
      throw new CliError(
        'Give the tables: --tokens-table and --audit-table (or TOKENS_TABLE_NAME and AUDIT_TABLE_NAME), from the stack outputs',
        2,
      );
    }
    const client = new DynamoDBClient({
      ...(options.region === undefined ? {} : { region: options.region }),
      ...(options.profile === undefined ? {} : { profile: options.profile }),
      ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    });
    const stores = openStores({ client, tables: { tokens: tokensTable, audit: auditTable } });
    const actor = operatorActor(options.actor ?? userInfo().username);
    // The operator has direct table access, so the CLI acts with the admin scope.
    const caller: Caller = {
      tokenId: actor,
      owner: '-',
      scopes: ['admin'],
      requestId: randomUUID(),
      operator: true,
    };
    return { options, stores, caller, client };
  };
  const service = (stores: Stores, cache?: StageCacheFlusher) =>
    new TokenService({ stores, now: () => new Date(), ...(cache === undefined ? {} : { cache }) });
  const print = (json: boolean | undefined, value: unknown, human: () => string) => {
    io.out(`${json === true ? JSON.stringify(value, null, 2) : human()}\n`);
  };

  program
    .command('create')
    .description('Create a token. Its plaintext is printed once: store it right away.')
    .requiredOption('--name <name>', 'what the token is for, e.g. payments-ci')
    .requiredOption('--owner <owner>', 'the owning team or tenant')
    .requiredOption('--scope <scope...>', 'one or more scopes, e.g. orders:read')
    .option('--expires-in-days <days>', 'lifetime in days (1–730)', '90')
    .option('--meta <key=value...>', 'metadata entries')
    .action(
      async (options: {
        name: string;
        owner: string;
        scope: string[];
        expiresInDays: string;
        meta?: string[];
      }) => {
        const { stores, caller, options: global } = context();
        const body = validate(
          createTokenBody,
          {
            name: options.name,
            owner: options.owner,
            scopes: options.scope,
            expiresInDays: wholeNumber(options.expiresInDays, '--expires-in-days'),
            ...(options.meta === undefined ? {} : { metadata: keyValues(options.meta) }),
          },
          'options',
        );
        const created = await service(stores).create(caller, body);
        io.err(`WARNING: ${created.warning}\n`);
        print(global.json, created, () =>
          [
            created.token,
            '',
            `id       ${created.tokenId}`,
            `owner    ${created.owner}`,
            `scopes   ${created.scopes.join(' ')}`,
            `expires  ${created.expiresAt}`,
          ].join('\n'),
        );
      },
    );

  program
    .command('list')
    .description("List an owner's tokens, newest first (or live tokens expiring before a date)")
    .option('--owner <owner>', 'whose tokens')
    .option('--status <status>', 'pending, active, revoked or expired')
    .option('--expiring-before <iso>', 'only live tokens ending before this ISO date-time')
    .option('--limit <n>', 'page size (1–100)', '50')
    .option('--cursor <cursor>', 'the cursor printed by the previous page')
    .action(
      async (options: {
        owner?: string;
        status?: string;
        expiringBefore?: string;
        limit: string;
        cursor?: string;
      }) => {
        const { stores, caller, options: global } = context();
        const query = validate(
          listTokensQuery,
          {
            limit: options.limit,
            ...(options.owner === undefined ? {} : { owner: options.owner }),
            ...(options.status === undefined ? {} : { status: options.status }),
            ...(options.expiringBefore === undefined
              ? {}
              : { expiringBefore: options.expiringBefore }),
            ...(options.cursor === undefined ? {} : { cursor: options.cursor }),
          },
          'options',
        );
        const page = await service(stores).list(caller, query);
        print(
          global.json,
          page,
          () =>
            [
              ...page.items.map(
                (t) =>
                  `${t.tokenId}  ${t.status.padEnd(7)}  ${t.expiresAt}  ${t.owner}/${t.name}  ${t.scopes.join(' ')}`,
              ),
              ...(page.cursor === undefined ? [] : [`(more: --cursor ${page.cursor})`]),
            ].join('\n') || '(none)',
        );
      },
    );

  program
    .command('show')
    .description('Show one token (never its plaintext)')
    .argument('<tokenId>', 'tok_…')
    .action(async (tokenId: string) => {
      const { stores, caller, options: global } = context();
      const token = await service(stores).get(caller, tokenIdArg(tokenId));
      print(global.json, token, () => describe(token));
    });

  program
    .command('usage')
    .description('When and how often a token was used')
    .argument('<tokenId>', 'tok_…')
    .action(async (tokenId: string) => {
      const { stores, caller, options: global } = context();
      const usage = await service(stores).usage(caller, tokenIdArg(tokenId));
      print(global.json, usage, () => describe(usage));
    });

  program
    .command('rotate')
    .description('Issue a successor; the old token keeps working for the grace period')
    .argument('<tokenId>', 'tok_…')
    .option('--grace-days <days>', 'how long the old token keeps working (0–30)', '7')
    .option('--expires-in-days <days>', "the new token's lifetime (default: the old one's)")
    .action(async (tokenId: string, options: { graceDays: string; expiresInDays?: string }) => {
      const { stores, caller, options: global } = context();
      const body = validate(
        rotateTokenBody,
        {
          graceDays: wholeNumber(options.graceDays, '--grace-days'),
          ...(options.expiresInDays === undefined
            ? {}
            : { expiresInDays: wholeNumber(options.expiresInDays, '--expires-in-days') }),
        },
        'options',
      );
      const rotated = await service(stores).rotate(caller, tokenIdArg(tokenId), body);
      io.err(`WARNING: ${rotated.warning}\n`);
      print(global.json, rotated, () =>
        [
          rotated.token,
          '',
          `id       ${rotated.tokenId}`,
          `expires  ${rotated.expiresAt}`,
          `${rotated.predecessor.tokenId} keeps working until ${rotated.predecessor.worksUntil}`,
        ].join('\n'),
      );
    });

  program
    .command('revoke')
    .description(
      'Revoke a token (idempotent). Cached API Gateway policies may allow it until they expire.',
    )
    .argument('<tokenId>', 'tok_…')
    .option('--reason <text>', 'why, for the audit trail')
    .action(async (tokenId: string, options: { reason?: string }) => {
      const { stores, caller, options: global } = context();
      const { reason } = validate(revokeQuery, { reason: options.reason }, 'options');
      const result = await service(stores).revoke(caller, tokenIdArg(tokenId), reason);
      print(global.json, result, () =>
        result.changed ? `${result.tokenId} revoked` : `${result.tokenId} was already revoked`,
      );
    });

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
    .action(
      async (options: {
        owner?: string;
        token?: string;
        reason: string;
        restApiId?: string;
        stage: string;
      }) => {
        const { stores, caller, options: global } = context();
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
            : new StageCacheFlusher(
                new APIGatewayClient({
                  ...(global.region === undefined ? {} : { region: global.region }),
                  ...(global.profile === undefined ? {} : { profile: global.profile }),
                }),
                options.restApiId,
                options.stage,
              );
        const result = await service(stores, cache).emergencyRevoke(caller, body);
        print(global.json, result, () =>
          [
            `revoked ${String(result.revoked.length)} token(s)${result.revoked.length > 0 ? `: ${result.revoked.join(' ')}` : ''}`,
            `already revoked: ${String(result.alreadyRevoked)}`,
            result.cacheFlushed
              ? 'authorizer cache flushed'
              : `WARNING: ${result.warning ?? 'authorizer cache not flushed'}${options.restApiId === undefined ? ' Give --rest-api-id to flush it.' : ''}`,
          ].join('\n'),
        );
      },
    );

  program
    .command('audit')
    .description('Audit events of a token or of a day, newest first')
    .option('--token <tokenId>', 'events of this token')
    .option('--day <yyyy-mm-dd>', 'events of this day (UTC)')
    .option('--limit <n>', 'page size (1–100)', '50')
    .option('--cursor <cursor>', 'the cursor printed by the previous page')
    .action(async (options: { token?: string; day?: string; limit: string; cursor?: string }) => {
      const { stores, caller, options: global } = context();
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
      const page = await service(stores).audit(caller, query);
      print(
        global.json,
        page,
        () =>
          [
            ...page.items.map(
              (e) =>
                `${e.at}  ${e.action.padEnd(22)}  ${e.outcome.padEnd(7)}  ${e.targetId}  by ${e.actor}${e.reason === undefined ? '' : `  (${e.reason})`}`,
            ),
            ...(page.cursor === undefined ? [] : [`(more: --cursor ${page.cursor})`]),
          ].join('\n') || '(none)',
      );
    });

  program
    .command('bootstrap')
    .description(
      'Issue a single-use bootstrap token that a new service exchanges (POST /tokens/exchange) for its own token',
    )
    .requiredOption('--name <name>', 'name of the token it will be exchanged for')
    .requiredOption('--owner <owner>', 'owner of that token')
    .requiredOption('--scope <scope...>', 'the most scopes that token may have')
    .option('--expires-in-minutes <minutes>', 'how long it can be exchanged (1–1440)', '60')
    .option('--token-expires-in-days <days>', "the exchanged token's lifetime", '90')
    .action(
      async (options: {
        name: string;
        owner: string;
        scope: string[];
        expiresInMinutes: string;
        tokenExpiresInDays: string;
      }) => {
        const { stores, caller, options: global } = context();
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
        const issued = await service(stores).createBootstrap(caller, body);
        io.err(`WARNING: ${issued.warning}\n`);
        print(global.json, issued, () =>
          [issued.token, '', `id       ${issued.tokenId}`, `expires  ${issued.expiresAt}`].join(
            '\n',
          ),
        );
      },
    );

  program
    .command('requests')
    .description('Open rotation requests: pending (to decide) or approved (grant not used yet)')
    .option('--state <state>', 'pending or approved', 'pending')
    .option('--limit <n>', 'page size (1–100)')
    .option('--cursor <cursor>', 'from a previous page')
    .action(async (options: { state: string; limit?: string; cursor?: string }) => {
      const { stores, caller, options: global } = context();
      const query = validate(listRotationRequestsQuery, options, 'options');
      const page = await service(stores).listRotationRequests(caller, query);
      print(
        global.json,
        page,
        () =>
          [
            ...page.items.map(
              (r) =>
                `${r.requestId}  ${r.tokenId}  ${r.owner}  ${r.state}  asked ${r.requestedAt}  ${r.reason}`,
            ),
            ...(page.cursor === undefined ? [] : [`(more: --cursor ${page.cursor})`]),
          ].join('\n') || '(none)',
      );
    });

  for (const verdict of ['approve', 'reject'] as const) {
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
      .option(
        '--expires-in-days <days>',
        "approve: the successor's lifetime (default: the token's)",
      )
      .option('--grace-days <days>', 'approve: how long the replaced token keeps working')
      .action(async (tokenId: string, requestId: string, options: DecideOptions) => {
        const { stores, caller, options: global } = context();
        const params = validate(rotationRequestParams, { id: tokenId, requestId }, 'arguments');
        const terms =
          verdict === 'approve'
            ? validate(
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
              )
            : { note: validate(rejectBody, { reason: options.note }, 'options').reason };
        const decided = await service(stores).decideRotation(caller, params.id, params.requestId, {
          approve: verdict === 'approve',
          ...terms,
        });
        print(global.json, decided, () =>
          decided.state === 'approved'
            ? `${decided.requestId} approved: the grant can be used until ${decided.grantExpiresAt ?? '?'}`
            : `${decided.requestId} rejected`,
        );
      });
  }

  program
    .command('cleanup')
    .description('Retire ended tokens now (what the daily cleanup schedule does)')
    .action(async () => {
      const { stores, caller, options: global } = context();
      const report = await new Cleanup({ stores, now: () => new Date() }).run({
        actor: caller.tokenId,
        requestId: caller.requestId,
      });
      print(
        global.json,
        report,
        () =>
          `read ${String(report.itemsRead)}, expired ${String(report.expired)}, grace ended ${String(report.graceEnded)}, unchanged ${String(report.unchanged)}, requests expired ${String(report.requestsExpired + report.grantsExpired)}, failed ${String(report.failures.length)}`,
      );
      if (report.failures.length > 0)
        throw new CliError('Some tokens could not be retired; run it again', 1);
    });

  return program;
}

/** Run the CLI; resolves to the process exit code. Never throws. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (error) {
    const failure = explain(error);
    if (failure.message !== '') io.err(`error: ${failure.message}\n`);
    return failure.exitCode;
  }
}

function explain(error: unknown): { message: string; exitCode: number } {
  if (error instanceof CliError) return { message: error.message, exitCode: error.exitCode };
  if (error instanceof CommanderError) {
    // commander already printed its message (help, version, usage errors).
    return { message: '', exitCode: error.exitCode };
  }
  const failed = failureOf(error);
  return { message: failed.message, exitCode: failed.exitCode };
}

function tokenIdArg(value: string): string {
  return validate(tokenIdSchema, value, 'token id');
}

/**
 * The audit actor of an operator: always `cli:<name>`, so that it can never pass for a token id
 * (`tok_…`) in the trail, and never text that holds a token.
 */
function operatorActor(name: string): string {
  const bare = name.startsWith('cli:') ? name.slice(4) : name;
  if (!/^[\w.@-]{1,64}$/.test(bare) || holdsToken(bare)) {
    throw new BadRequest('--actor must be 1–64 letters, digits, ".", "_", "@" or "-"');
  }
  return `cli:${bare}`;
}

function wholeNumber(value: string, flag: string): number {
  if (!/^\d+$/.test(value)) throw new BadRequest(`${flag} must be a whole number`);
  return Number(value);
}

function keyValues(entries: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    entries.map((entry) => {
      const at = entry.indexOf('=');
      if (at <= 0) throw new BadRequest('--meta entries look like key=value');
      const key = entry.slice(0, at);
      // Checked here, on the raw key: the schema never sees a `__proto__` entry.
      if (isReservedKey(key)) throw new BadRequest(`--meta ${RESERVED_KEY_MESSAGE}`);
      return [key, entry.slice(at + 1)];
    }),
  );
}

function describe(value: Record<string, unknown>): string {
  return Object.entries(value)
    .filter(([, v]) => v !== undefined)
    .map(
      ([k, v]) =>
        `${k.padEnd(13)} ${Array.isArray(v) ? v.join(' ') : typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}`,
    )
    .join('\n');
}
