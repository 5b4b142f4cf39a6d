/**
 * Builds the installable library into dist/ (`npm run build:lib`; `npm pack` runs it first):
 *
 *   dist/esm/index.js        infra/index.ts bundled as ES module, for `import`
 *   dist/cjs/index.js        the same as CommonJS (dist/cjs/package.json says so), for `require`
 *   dist/{esm,cjs}/client.js client/index.ts, the typed API client (`service-tokens/client`)
 *   dist/{esm,cjs}/…d.ts     the declarations the entry needs, in each folder so that TypeScript
 *                            reads them as that folder's module format (node16/nodenext)
 *   dist/assets/<name>/      each functions/<name>.ts prebundled as ServiceFunction bundles it
 *
 * Our own modules are bundled in; every package stays external and must be a peer dependency or
 * a dependency in package.json, which this build checks for the code and the declarations.
 */
import * as esbuild from 'esbuild';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { HANDLER_BUNDLING } from '../infra/handler-function';
import { writeDeclarations } from './lib-declarations';
import { checkImports, packageOf } from './package-imports';

const ROOT = join(import.meta.dirname, '..');
const DIST = join(ROOT, 'dist');
/** Each entry of the package by its file name in dist/{esm,cjs}: the constructs, the client. */
const ENTRIES = { index: join(ROOT, 'infra/index.ts'), client: join(ROOT, 'client/index.ts') };
type EntryName = keyof typeof ENTRIES;
/** Node of the consumer's synth: the package's `engines`. */
const LIBRARY_TARGET = 'node24';

const manifestSchema = z.object({
  dependencies: z.record(z.string(), z.string()).default({}),
  peerDependencies: z.record(z.string(), z.string()).default({}),
});

/** The packages the library may import: what a consumer's npm install puts beside it. */
function allowedPackages(): Set<string> {
  const manifest = manifestSchema.parse(
    JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')),
  );
  return new Set([
    ...Object.keys(manifest.dependencies),
    ...Object.keys(manifest.peerDependencies),
  ]);
}

/** Resolves service-function.ts's handler code to the prebundled assets, and proves it did. */
function packagedHandlers(): { plugin: esbuild.Plugin; swapped: () => boolean } {
  let swapped = false;
  const plugin: esbuild.Plugin = {
    name: 'packaged-handlers',
    setup(build) {
      build.onResolve({ filter: /^\.\/handler-function$/ }, (args) => {
        if (basename(args.importer) !== 'service-function.ts') return undefined;
        swapped = true;
        return { path: join(args.resolveDir, 'handler-function.packaged.ts') };
      });
    },
  };
  return { plugin, swapped: () => swapped };
}

/**
 * The library reaches shared/ modules that the handlers use too, and so their imports of the AWS
 * SDK, Powertools…: dead code at synth, yet an external import is kept for its side effects.
 * Declared side-effect free, unused ones go; a used one stays and fails checkImports.
 */
function handlerOnlyPackages(allowed: Set<string>): esbuild.Plugin {
  return {
    name: 'handler-only-packages',
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, (args) => {
        const name = packageOf(args.path);
        if (name === null || allowed.has(name)) return undefined;
        return { path: args.path, external: true, sideEffects: false };
      });
    },
  };
}

async function buildLibrary(
  entry: EntryName,
  format: 'esm' | 'cjs',
  allowed: Set<string>,
): Promise<void> {
  const handlers = packagedHandlers();
  const file = `dist/${format}/${entry}.js`;
  const result = await esbuild.build({
    entryPoints: [ENTRIES[entry]],
    outfile: join(ROOT, file),
    bundle: true,
    platform: 'node',
    target: LIBRARY_TARGET,
    format,
    packages: 'external',
    plugins: [handlers.plugin, handlerOnlyPackages(allowed)],
    // import.meta is empty in CommonJS; the assets are found from the module's own folder.
    define: format === 'cjs' ? { 'import.meta.dirname': '__dirname' } : {},
    metafile: true,
    logLevel: 'silent',
  });
  if (result.warnings.length > 0) {
    const messages = await esbuild.formatMessages(result.warnings, { kind: 'warning' });
    throw new Error(`the ${format} build warns:\n${messages.join('\n')}`);
  }
  // The client builds no Lambda; the constructs must build theirs from the assets.
  if (entry === 'index' && !handlers.swapped())
    throw new Error('service-function.ts no longer imports ./handler-function');
  if (result.metafile === undefined) throw new Error(`the ${format} build wrote no metafile`);
  const imports = Object.values(result.metafile.outputs).flatMap((output) =>
    output.imports.filter((i) => i.external).map((i) => i.path),
  );
  checkImports(file, imports, allowed);
  if (imports.includes('aws-cdk-lib/aws-lambda-nodejs')) {
    throw new Error(`${file} still bundles handlers at synth (aws-lambda-nodejs)`);
  }
  if (
    entry === 'client' &&
    imports.some((i) => i.startsWith('aws-cdk-lib') || i === 'constructs')
  ) {
    throw new Error(`${file} imports the CDK: the client must load without it`);
  }
}

/** Every handler of functions/, bundled with the options NodejsFunction uses in the repository. */
async function buildAssets(): Promise<string[]> {
  const names = readdirSync(join(ROOT, 'functions'))
    .filter((file) => file.endsWith('.ts'))
    .map((file) => basename(file, '.ts'));
  await Promise.all(
    names.map((name) =>
      esbuild.build({
        entryPoints: [join(ROOT, 'functions', `${name}.ts`)],
        outfile: join(DIST, 'assets', name, 'index.js'),
        bundle: true,
        platform: 'node',
        target: HANDLER_BUNDLING.target,
        format: HANDLER_BUNDLING.format,
        minify: HANDLER_BUNDLING.minify,
        sourcemap: HANDLER_BUNDLING.sourceMapMode,
        sourcesContent: HANDLER_BUNDLING.sourcesContent,
        logLevel: 'warning',
      }),
    ),
  );
  return names;
}

async function main(): Promise<void> {
  const started = Date.now();
  const allowed = allowedPackages();
  rmSync(DIST, { recursive: true, force: true });
  mkdirSync(join(DIST, 'cjs'), { recursive: true });
  writeFileSync(join(DIST, 'cjs', 'package.json'), `${JSON.stringify({ type: 'commonjs' })}\n`);
  const entries = Object.keys(ENTRIES).filter((name): name is EntryName => name in ENTRIES);
  const [assets] = await Promise.all([
    buildAssets(),
    ...entries.flatMap((entry) => [
      buildLibrary(entry, 'esm', allowed),
      buildLibrary(entry, 'cjs', allowed),
    ]),
    writeDeclarations({
      root: ROOT,
      entries: Object.fromEntries(entries.map((entry) => [entry, ENTRIES[entry]])),
      outDirs: ['esm', 'cjs'].map((f) => join(DIST, f)),
    }).then((externals) => {
      checkImports('the declarations', externals, allowed);
    }),
  ]);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`dist/: esm + cjs library, assets ${assets.join(', ')} (${seconds} s)`);
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) await main();
