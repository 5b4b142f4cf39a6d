import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { OPENAPI_PATH, renderOpenApi } from '../../scripts/openapi';
import { MANAGEMENT_ROUTES, ROUTES } from '../../shared/api/routes';

const operationSchema = z.object({
  operationId: z.string(),
  tags: z.array(z.string()).length(1),
  'x-required-scopes': z.optional(z.array(z.string())),
  security: z.array(z.record(z.string(), z.array(z.string()))),
  responses: z.record(z.string(), z.unknown()),
  requestBody: z.optional(z.unknown()),
});
const documentSchema = z.object({
  openapi: z.literal('3.1.0'),
  tags: z.array(z.object({ name: z.string(), description: z.string() })),
  components: z.object({ schemas: z.record(z.string(), z.unknown()) }),
  paths: z.record(z.string(), z.record(z.string(), operationSchema)),
});
const document = documentSchema.parse(JSON.parse(renderOpenApi()));
const operations = Object.values(document.paths).flatMap((item) => Object.values(item));
const operationOf = (route: { method: string; path: string }) =>
  document.paths[route.path]?.[route.method.toLowerCase()];

describe('the OpenAPI document', () => {
  it('is committed as generated from the schemas (run `npm run openapi` after a change)', () => {
    expect(readFileSync(OPENAPI_PATH, 'utf8')).toBe(renderOpenApi());
  });

  it('passes Redocly lint (recommended rules) with no error and no warning', () => {
    const bin = join(import.meta.dirname, '../../node_modules/.bin/redocly');
    const output = execFileSync(bin, ['lint', OPENAPI_PATH, '--format', 'json'], {
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
      stdio: ['ignore', 'pipe', 'ignore'],
    }).toString();
    const report = z
      .object({ totals: z.object({ errors: z.number(), warnings: z.number() }) })
      .parse(JSON.parse(output));
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  });

  it('names every operation uniquely and tags it with a declared family', () => {
    const ids = operations.map((operation) => operation.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-z][A-Za-z]+$/);
    const tags = document.tags.map((tag) => tag.name);
    for (const operation of operations) expect(tags).toContain(operation.tags[0]);
  });

  it('states the scopes as security requirements: any one of the route’s, or admin', () => {
    for (const route of MANAGEMENT_ROUTES) {
      const operation = operationOf(route);
      expect(operation?.['x-required-scopes']).toEqual(route.scopes);
      const alternatives = operation?.security ?? [];
      if (route.scopes.length === 0) {
        expect(alternatives, `${route.method} ${route.path}`).toEqual([{ serviceToken: [] }]);
      } else {
        const granting = [...new Set([...route.scopes, 'admin'])];
        expect(alternatives).toEqual(granting.map((scope) => ({ serviceToken: [scope] })));
      }
    }
  });

  it("lists each operation's own refusals: 404 for a token id, 409 and 410 where declared", () => {
    for (const route of ROUTES) {
      const statuses = Object.keys(operationOf(route)?.responses ?? {});
      const name = `${route.method} ${route.path}`;
      // The API's own document authenticates nobody and reads nothing: bad input or throttled.
      expect(statuses, name).toEqual(
        route.anonymous === true
          ? ['200', '400', '429']
          : expect.arrayContaining(['400', '401', '403', '415', '429', '503']),
      );
      const own = new Set<number>(route.refusals ?? []);
      if (route.path.includes('{id}')) own.add(404);
      for (const status of [404, 409, 410]) {
        expect(statuses.includes(String(status)), `${name} ${String(status)}`).toBe(
          own.has(status),
        );
      }
    }
  });

  it('shares component schemas: responses and request bodies are references', () => {
    expect(Object.keys(document.components.schemas)).toEqual(
      expect.arrayContaining(['Token', 'TokenPage', 'IssuedToken', 'CreateTokenRequest', 'Error']),
    );
    const list = JSON.stringify(operationOf({ method: 'GET', path: '/tokens' })?.responses);
    expect(list).toContain('"$ref":"#/components/schemas/TokenPage"');
    expect(JSON.stringify(document.components.schemas['TokenPage'])).toContain(
      '#/components/schemas/Token"',
    );
  });

  it('never describes a token hash in any response', () => {
    expect(renderOpenApi()).not.toContain('tokenHash');
  });
});
