/**
 * `npm run openapi`: write docs/openapi.json from the management API's schemas and routes.
 * The unit tests fail when the committed file differs from what this generates.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openApiDocument } from '../shared/api/openapi';

export const OPENAPI_PATH = join(import.meta.dirname, '..', 'docs', 'openapi.json');

export function renderOpenApi(): string {
  return `${JSON.stringify(openApiDocument(), null, 2)}\n`;
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  writeFileSync(OPENAPI_PATH, renderOpenApi());
  console.log(`wrote ${OPENAPI_PATH}`);
}
