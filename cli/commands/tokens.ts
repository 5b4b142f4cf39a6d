/** The token commands: create, list, show, usage, rotate, revoke. */
import type { Command } from 'commander';
import { DEFAULT_TOKEN_LIFETIME_DAYS } from '../../shared/defaults';
import { validate } from '../../shared/api/http';
import {
  createTokenBody,
  listTokensQuery,
  revokeQuery,
  rotateTokenBody,
} from '../../shared/api/schemas';
import { keyValues, tokenIdArg, wholeNumber } from '../args';
import type { CliContext } from '../context';
import { describe, pageText, printIssued, successorLines } from '../output';

/** Adds create, list, show, usage, rotate and revoke, in that order. */
export function registerTokenCommands(program: Command, context: CliContext): void {
  create(program, context);
  list(program, context);
  show(program, context);
  usage(program, context);
  rotate(program, context);
  revoke(program, context);
}

interface CreateOptions {
  name: string;
  owner?: string;
  scope: string[];
  expiresInDays: string;
  meta?: string[];
}

function create(program: Command, context: CliContext): void {
  program
    .command('create')
    .description('Create a token. Its plaintext is printed once: store it right away.')
    .requiredOption('--name <name>', 'what the token is for, e.g. payments-ci')
    .option('--owner <owner>', "the owning team (default: your token's own owner)")
    .requiredOption('--scope <scope...>', 'one or more scopes, e.g. orders:read')
    .option(
      '--expires-in-days <days>',
      'lifetime in days (1–730)',
      String(DEFAULT_TOKEN_LIFETIME_DAYS),
    )
    .option('--meta <key=value...>', 'metadata entries')
    .action(async (options: CreateOptions) => {
      const body = validate(
        createTokenBody,
        {
          name: options.name,
          ...(options.owner === undefined ? {} : { owner: options.owner }),
          scopes: options.scope,
          expiresInDays: wholeNumber(options.expiresInDays, '--expires-in-days'),
          ...(options.meta === undefined ? {} : { metadata: keyValues(options.meta) }),
        },
        'options',
      );
      const created = await (await context.backend()).call('createToken', { body });
      printIssued(context, created, [
        `id       ${created.tokenId}`,
        `owner    ${created.owner}`,
        `scopes   ${created.scopes.join(' ')}`,
        `expires  ${created.expiresAt}`,
      ]);
    });
}

interface ListOptions {
  owner?: string;
  status?: string;
  expiringBefore?: string;
  limit: string;
  cursor?: string;
}

function list(program: Command, context: CliContext): void {
  program
    .command('list')
    .description("List an owner's tokens, newest first (or live tokens expiring before a date)")
    .option('--owner <owner>', 'whose tokens')
    .option('--status <status>', 'pending, active, revoked or expired')
    .option('--expiring-before <iso>', 'only live tokens ending before this ISO date-time')
    .option('--limit <n>', 'page size (1–100)', '50')
    .option('--cursor <cursor>', 'the cursor printed by the previous page')
    .action(async (options: ListOptions) => {
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
      const page = await (await context.backend()).call('listTokens', { query });
      context.print(page, () =>
        pageText(
          page,
          (t) =>
            `${t.tokenId}  ${t.status.padEnd(7)}  ${t.expiresAt}  ${t.owner}/${t.name}  ${t.scopes.join(' ')}`,
        ),
      );
    });
}

function show(program: Command, context: CliContext): void {
  program
    .command('show')
    .description('Show one token (never its plaintext)')
    .argument('<tokenId>', 'tok_…')
    .action(async (tokenId: string) => {
      const params = { id: tokenIdArg(tokenId) };
      const token = await (await context.backend()).call('getToken', { params });
      context.print(token, () => describe(token));
    });
}

function usage(program: Command, context: CliContext): void {
  program
    .command('usage')
    .description('When and how often a token was used')
    .argument('<tokenId>', 'tok_…')
    .action(async (tokenId: string) => {
      const params = { id: tokenIdArg(tokenId) };
      const usage = await (await context.backend()).call('getTokenUsage', { params });
      context.print(usage, () => describe(usage));
    });
}

function rotate(program: Command, context: CliContext): void {
  program
    .command('rotate')
    .description('Issue a successor; the old token keeps working for the grace period')
    .argument('<tokenId>', 'tok_…')
    .option('--grace-days <days>', 'how long the old token keeps working (0–30)', '7')
    .option('--expires-in-days <days>', "the new token's lifetime (default: the old one's)")
    .action(async (tokenId: string, options: { graceDays: string; expiresInDays?: string }) => {
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
      const params = { id: tokenIdArg(tokenId) };
      const rotated = await (await context.backend()).call('rotateToken', { params, body });
      printIssued(context, rotated, successorLines(rotated));
    });
}

function revoke(program: Command, context: CliContext): void {
  program
    .command('revoke')
    .description(
      'Revoke a token (idempotent). Cached API Gateway policies may allow it until they expire.',
    )
    .argument('<tokenId>', 'tok_…')
    .option('--reason <text>', 'why, for the audit trail')
    .action(async (tokenId: string, options: { reason?: string }) => {
      const query = validate(revokeQuery, { reason: options.reason }, 'options');
      const params = { id: tokenIdArg(tokenId) };
      const result = await (await context.backend()).call('revokeToken', { params, query });
      context.print(result, () =>
        result.changed ? `${result.tokenId} revoked` : `${result.tokenId} was already revoked`,
      );
    });
}
