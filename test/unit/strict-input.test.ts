/**
 * Strict input, as properties over the parsers every request goes through: map keys that
 * cannot be stored safely, lone surrogates, bodies that are not JSON, calendar days and page
 * sizes. Each is a clear 4xx; nothing is dropped or coerced silently.
 */
import fc from 'fast-check';
import type * as z from 'zod/mini';
import { describe, expect, it } from 'vitest';
import { BadRequest } from '../../shared/api/errors';
import { jsonBody, rawParameterProblem, validate, type ProxyEvent } from '../../shared/api/http';
import {
  auditQuery,
  createTokenBody,
  exchangeBody,
  listTokensQuery,
} from '../../shared/api/schemas';
import { isCalendarDate, isReservedKey } from '../../shared/api/strict-input';

const RESERVED = Object.getOwnPropertyNames(Object.prototype);

function event(body: string, contentType?: string): ProxyEvent {
  return {
    httpMethod: 'POST',
    resource: '/tokens',
    headers: contentType === undefined ? {} : { 'Content-Type': contentType },
    body,
    requestContext: { requestId: 'r' },
  };
}

/** The status a request body gets from parsing and validation, or 'ok'. */
function outcome(
  body: string,
  schema: z.ZodMiniType = createTokenBody,
  contentType = 'application/json',
) {
  try {
    validate(schema, jsonBody(event(body, contentType)), 'body');
    return 'ok';
  } catch (error) {
    if (error instanceof BadRequest) return error.status;
    throw error;
  }
}

const base = { name: 'svc', scopes: ['orders:read'] };
const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
const withLoneSurrogate = fc
  .tuple(fc.string({ maxLength: 20 }), loneSurrogate, fc.string({ maxLength: 20 }))
  .map(([a, s, b]) => a + s + b)
  .filter((text) => /\p{Cs}/u.test(text));

describe('map keys', () => {
  it('refuses every Object.prototype member name as a metadata key, in any body, with 400', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...RESERVED),
        fc.constantFrom(createTokenBody, exchangeBody),
        (key, schema) => {
          const body = `{"name":"svc","scopes":["orders:read"],"metadata":{"team":"a",${JSON.stringify(key)}:"x"}}`;
          expect(outcome(body, schema)).toBe(400);
        },
      ),
    );
  });

  it('keeps every other key as an own key of the parsed map', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.stringMatching(/^[\w.-]{1,64}$/), fc.string({ maxLength: 50 }), {
          maxKeys: 20,
        }),
        (metadata) => {
          fc.pre(Object.keys(metadata).every((k) => !isReservedKey(k) && !/sk_/.test(k)));
          fc.pre(Object.values(metadata).every((v) => !/\p{Cs}/u.test(v)));
          const parsed = validate(
            createTokenBody,
            jsonBody(event(JSON.stringify({ ...base, metadata }), 'application/json')),
            'body',
          );
          expect(parsed.metadata).toEqual(metadata);
        },
      ),
    );
  });

  it('refuses a reserved name among the query and path parameters as API Gateway sends them', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...RESERVED),
        fc.constantFrom('queryStringParameters', 'pathParameters'),
        (key, field) => {
          const raw = JSON.parse(
            `{${JSON.stringify(field)}:{${JSON.stringify(key)}:"1"}}`,
          ) as unknown;
          expect(rawParameterProblem(raw)).toMatch(/^Invalid (query|path): keys must not be names/);
        },
      ),
    );
    expect(
      rawParameterProblem({ queryStringParameters: { owner: 'team-a' }, pathParameters: null }),
    ).toBeUndefined();
  });
});

describe('text', () => {
  it('refuses a lone surrogate in any string or key of a body with 400', () => {
    fc.assert(
      fc.property(
        withLoneSurrogate,
        fc.constantFrom('name', 'value', 'key', 'scope'),
        (text, where) => {
          const bodies = {
            name: { ...base, name: text },
            value: { ...base, metadata: { team: text } },
            key: { ...base, metadata: { [text]: 'x' } },
            scope: { ...base, scopes: [text] },
          };
          expect(outcome(JSON.stringify(bodies[where]))).toBe(400);
        },
      ),
    );
  });

  it('refuses one in the query string and path parameters', () => {
    fc.assert(
      fc.property(withLoneSurrogate, (text) => {
        expect(rawParameterProblem({ queryStringParameters: { owner: text } })).toMatch(
          /surrogates/,
        );
        expect(rawParameterProblem({ pathParameters: { id: text } })).toMatch(/surrogates/);
      }),
    );
  });

  it('accepts paired surrogates (emoji and other astral characters) where the field allows them', () => {
    expect(outcome(JSON.stringify({ ...base, metadata: { note: 'ship it 🚀' } }))).toBe('ok');
  });
});

describe('bodies that are not JSON', () => {
  it('answers 415 for a body whose Content-Type is not JSON', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.constantFrom(
            'text/plain',
            'application/x-www-form-urlencoded',
            'multipart/form-data',
            'application/jsonx',
            'json',
            '',
          ),
          fc.stringMatching(/^[a-z]{1,10}\/[a-z]{1,10}$/).filter((t) => !/json$/.test(t)),
        ),
        (contentType) => {
          expect(outcome(JSON.stringify(base), createTokenBody, contentType)).toBe(415);
        },
      ),
    );
  });

  it('takes application/json with parameters, in any case, and +json types', () => {
    for (const type of [
      'application/json',
      'Application/JSON; charset=utf-8',
      'application/merge-patch+json',
    ]) {
      expect(outcome(JSON.stringify(base), createTokenBody, type)).toBe('ok');
    }
  });
});

describe('query values', () => {
  it('takes a day exactly when it names a real calendar date', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1970, max: 2199 }),
        fc.integer({ min: 0, max: 13 }),
        fc.integer({ min: 0, max: 32 }),
        (y, m, d) => {
          const day = `${String(y)}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
          const real = m >= 1 && m <= 12 && d >= 1 && d <= new Date(Date.UTC(y, m, 0)).getUTCDate();
          expect(isCalendarDate(day)).toBe(real);
          expect(auditQuery.safeParse({ day }).success).toBe(real);
        },
      ),
    );
    expect(auditQuery.safeParse({ day: '2028-02-29' }).success).toBe(true);
    expect(auditQuery.safeParse({ day: '2027-02-29' }).success).toBe(false);
  });

  it('takes a limit only as plain decimal from 1 to 100', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 6 }),
          fc.integer({ min: -5, max: 200 }).map(String),
          fc.constantFrom('0x5', '1e1', ' 5', '5 ', '5.0', '+5', '05', '0', '0b1', '٥'),
        ),
        (limit) => {
          const parsed = listTokensQuery.safeParse({ owner: 'team-a', limit });
          expect(parsed.success).toBe(/^(?:[1-9]\d?|100)$/.test(limit));
          if (parsed.success) expect(parsed.data.limit).toBe(Number(limit));
        },
      ),
    );
  });
});
