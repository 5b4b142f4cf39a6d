/**
 * Synthesize the real CDK app and locate each function's bundle (the esbuild output the stack
 * deploys) with its configured environment, so tests run exactly what `cdk deploy` ships.
 */
import { App } from 'aws-cdk-lib';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { buildApp } from '../../infra/app';

export interface FunctionBundle {
  /** Folder holding index.js (CommonJS, handler export `handler`). */
  readonly dir: string;
  /** Plain-string environment variables from the template (references are left out). */
  readonly environment: Record<string, string>;
}

const templateSchema = z.object({
  Resources: z.record(
    z.string(),
    z.object({
      Type: z.string(),
      Metadata: z.optional(z.record(z.string(), z.unknown())),
      Properties: z.optional(
        z.object({
          Description: z.optional(z.string()),
          Environment: z.optional(z.object({ Variables: z.record(z.string(), z.unknown()) })),
        }),
      ),
    }),
  ),
});

/** Bundles keyed by the function's description. */
export function synthesizeBundles(): Record<string, FunctionBundle> {
  const outdir = mkdtempSync(join(tmpdir(), 'cdk-bundles-'));
  const app = new App({ outdir, context: { 'aws:cdk:enable-asset-metadata': true } });
  const { stack } = buildApp(app);
  app.synth();
  const template = templateSchema.parse(
    JSON.parse(readFileSync(join(outdir, `${stack.artifactId}.template.json`), 'utf8')),
  );
  const bundles: Record<string, FunctionBundle> = {};
  for (const resource of Object.values(template.Resources)) {
    const assetPath = resource.Metadata?.['aws:asset:path'];
    const description = resource.Properties?.Description;
    if (resource.Type !== 'AWS::Lambda::Function' || typeof assetPath !== 'string') continue;
    if (description === undefined) continue;
    const variables = resource.Properties?.Environment?.Variables ?? {};
    bundles[description] = {
      dir: join(outdir, assetPath),
      environment: Object.fromEntries(
        Object.entries(variables).flatMap(([k, v]) => (typeof v === 'string' ? [[k, v]] : [])),
      ),
    };
  }
  return bundles;
}
