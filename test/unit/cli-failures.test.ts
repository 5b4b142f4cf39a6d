/**
 * What a failed CLI run prints: one JSON document of a fixed shape under --json, the exit code
 * of each class of failure, and never a token, wherever the message came from.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { operatorActor } from '../../cli/direct';
import { ServiceTokensError } from '../../client/errors';
import { ApiError, BadRequest } from '../../shared/api/errors';
import { TokenStoreError } from '../../shared/store/errors';
import { findTokens, holdsToken } from '../../shared/token/format';
import { explain, printFailure } from '../../cli/failures';
import { CliError } from '../../cli/context';
import { around, tokens } from '../support/token-variants';
import { CLI_JSON_ERROR } from '../support/cli-json';

function printed(error: unknown, json: boolean): string {
  let err = '';
  printFailure(
    { out: () => undefined, err: (text) => (err += text), env: {} },
    explain(error),
    json,
  );
  return err;
}

describe('a failed run', () => {
  it.each([
    [new CliError('Not logged in', 2, 'not-logged-in'), 'not-logged-in', 2, undefined],
    [
      new ServiceTokensError('http', 'getToken', 'getToken: 404 No token', 404),
      'not-found',
      2,
      404,
    ],
    [new ServiceTokensError('http', 'listAuditEvents', 'x: 403 no', 403), 'forbidden', 2, 403],
    [new ServiceTokensError('http', 'getMe', 'x: 401', 401), 'unauthorized', 2, 401],
    [new ServiceTokensError('http', 'rotateToken', 'x: 409', 409), 'conflict', 1, 409],
    [new ServiceTokensError('http', 'listTokens', 'x: 429', 429), 'throttled', 1, 429],
    [new ServiceTokensError('http', 'listTokens', 'x: 502', 502), 'server-error', 1, 502],
    [new ServiceTokensError('network', 'getMe', 'getMe: no answer'), 'network', 1, undefined],
    [
      new ServiceTokensError('invalid-response', 'getMe', 'bad', 200),
      'invalid-response',
      1,
      undefined,
    ],
    [new ApiError(403, 'needs admin'), 'forbidden', 2, 403],
    [new BadRequest('name is required'), 'bad-input', 2, 400],
    [new TokenStoreError('gone', 'rotated out'), 'gone', 1, 410],
    [new TokenStoreError('throttled', 'DynamoDB throttled'), 'unavailable', 1, 503],
    [new Error('boom'), 'failed', 1, undefined],
  ])('%s is code %s, exit %i, status %s, as one JSON document', (error, code, exitCode, status) => {
    const { error: body } = CLI_JSON_ERROR.parse(JSON.parse(printed(error, true)));
    const { message, ...rest } = body;
    expect(rest).toEqual({ code, exitCode, ...(status === undefined ? {} : { status }) });
    expect(message).not.toBe('');
    expect(explain(error).exitCode).toBe(exitCode);
    expect(printed(error, false)).toMatch(/^error: .+\n$/);
  });

  it('never prints a token, whatever message the API or AWS sent, in text or JSON', () => {
    fc.assert(
      fc.property(around(), tokens(), around(), fc.boolean(), (before, token, after, json) => {
        const error = new ServiceTokensError('http', 'getMe', `${before}${token}${after}`, 400);
        expect(findTokens(printed(error, json))).toEqual([]);
      }),
    );
  });
});

describe('the audit actor of --direct', () => {
  const arn = 'arn:aws:sts::123456789012:assumed-role/breakglass/alice';

  it('is the IAM identity, with --actor as a note', () => {
    expect(operatorActor(arn, undefined)).toBe(`iam:${arn}`);
    expect(operatorActor(arn, 'pager duty')).toBe(`iam:${arn} (pager duty)`);
  });

  it('can never pass for a token id nor hold a token, whatever --actor says', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          around().map((s) => `tok_${s}`),
          tokens(),
        ),
        (note) => {
          let actor: string;
          try {
            actor = operatorActor(arn, note);
          } catch (error) {
            expect(error).toBeInstanceOf(BadRequest);
            return;
          }
          expect(actor.startsWith(`iam:${arn} (`)).toBe(true);
          expect(holdsToken(actor)).toBe(false);
        },
      ),
    );
  });
});
