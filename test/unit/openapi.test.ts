import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { OPENAPI_PATH, renderOpenApi } from '../../scripts/openapi';
import { MANAGEMENT_ROUTES } from '../../shared/api/routes';

const documentSchema = z.object({
  openapi: z.literal('3.1.0'),
  paths: z.record(
    z.string(),
    z.record(
      z.string(),
      z.object({
        'x-required-scopes': z.optional(z.array(z.string())),
        responses: z.record(z.string(), z.unknown()),
        requestBody: z.optional(z.unknown()),
      }),
    ),
  ),
});

describe('the OpenAPI document', () => {
  it('is committed as generated from the schemas (run `npm run openapi` after a change)', () => {
    expect(readFileSync(OPENAPI_PATH, 'utf8')).toBe(renderOpenApi());
  });

  it('describes every management route with its scopes, success and 4xx responses', () => {
    const document = documentSchema.parse(JSON.parse(renderOpenApi()));
    for (const route of MANAGEMENT_ROUTES) {
      const operation = document.paths[route.path]?.[route.method.toLowerCase()];
      expect(operation, `${route.method} ${route.path}`).toBeDefined();
      expect(operation?.['x-required-scopes']).toEqual(route.scopes);
      expect(Object.keys(operation?.responses ?? {})).toEqual(
        expect.arrayContaining(['400', '401', '403', '404']),
      );
    }
    expect(document.paths['/tokens']?.['post']?.requestBody).toBeDefined();
  });

  it('never describes a token hash in any response', () => {
    expect(renderOpenApi()).not.toContain('tokenHash');
  });
});
