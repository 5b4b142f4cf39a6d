/**
 * Synthesize the real CDK app and locate each function's bundle (the esbuild output the stack
 * deploys) with its configured environment, so tests run exactly what `cdk deploy` ships.
 */
import { App, type Stack } from 'aws-cdk-lib';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';

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

/** Bundles of the stack `build` adds to an app, keyed by each function's description. */
export function synthesizeBundles(build: (app: App) => Stack): Record<string, FunctionBundle> {
  const outdir = mkdtempSync(join(tmpdir(), 'cdk-bundles-'));
  const app = new App({ outdir, context: { 'aws:cdk:enable-asset-metadata': true } });
  const stack = build(app);
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

export type BundledHandler = (event: unknown, context?: unknown) => Promise<unknown>;

/**
 * Load a bundle's handler in this process, as a cold start would: its environment is applied
 * first (functions read it at module load), and every call loads a fresh module instance.
 */
export function loadHandler(bundle: FunctionBundle, env: Record<string, string>): BundledHandler {
  Object.assign(process.env, bundle.environment, env);
  const load = createRequire(import.meta.url);
  const file = load.resolve(join(bundle.dir, 'index.js'));
  Reflect.deleteProperty(load.cache, file);
  const loaded: unknown = load(file);
  const handler: unknown =
    typeof loaded === 'object' && loaded !== null ? Reflect.get(loaded, 'handler') : undefined;
  if (typeof handler !== 'function') throw new Error(`${file} exports no handler`);
  return async (event, context) => {
    const result: unknown = await Reflect.apply(handler, undefined, [event, context ?? {}]);
    return result;
  };
}
