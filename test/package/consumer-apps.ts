/**
 * The packed-library test's consumer apps (packed-library.test.ts): each a fresh folder with its
 * package.json (the tarball and this repository's pinned versions), the fixture files, an
 * `npm install`, then its synth.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { z } from 'zod';

export const ROOT = join(import.meta.dirname, '../..');
const FIXTURES = join(import.meta.dirname, 'fixtures');
const NODE = process.execPath;

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** npm and node of this test's Node first; npm's own variables of a parent `npm test` dropped. */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.toLowerCase().startsWith('npm_')),
  );
  const path = [dirname(NODE), env['PATH'] ?? ''].join(delimiter);
  return { ...env, PATH: path, ...extra };
}

function run(command: string, args: string[], cwd: string, extra?: Record<string, string>) {
  return new Promise<Run>((resolve) => {
    // Killed rather than left behind if npm or a synth hangs.
    const options = { cwd, env: childEnv(extra), maxBuffer: 64 * 1024 * 1024, timeout: 300_000 };
    execFile(command, args, options, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

export async function succeed(command: string, args: string[], cwd: string): Promise<string> {
  const result = await run(command, args, cwd);
  if (result.code !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed:\n${result.stdout}\n${result.stderr}`);
  }
  return result.stdout;
}

const manifestSchema = z.object({ devDependencies: z.record(z.string(), z.string()) });
const pins = manifestSchema.parse(
  JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')),
).devDependencies;

/** `name@version` as this repository pins it, for the consumer's package.json. */
function pinned(...names: string[]): Record<string, string> {
  return Object.fromEntries(names.map((name) => [name, z.string().parse(pins[name])]));
}

export const packSchema = z.tuple([
  z.object({
    filename: z.string(),
    size: z.number(),
    entryCount: z.number(),
    files: z.array(z.object({ path: z.string() })),
  }),
]);

export interface Consumer {
  readonly name: string;
  readonly dir: string;
  readonly outdir: string;
  readonly synth: Run;
}

/** A fresh app folder: its package.json, the fixture files, then `npm install`. */
async function install(
  dir: string,
  manifest: Record<string, unknown>,
  files: Record<string, string>,
): Promise<void> {
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
  for (const [to, from] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, to)), { recursive: true });
    cpSync(join(FIXTURES, from), join(dir, to));
  }
  await succeed('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], dir);
}

const CONSUMER_DEPENDENCIES = ['aws-cdk-lib', 'constructs', 'cdk-nag'];

export async function commonJsApp(work: string, tarball: string): Promise<Consumer> {
  const dir = join(work, 'orders-cjs');
  await install(
    dir,
    {
      name: 'orders-cjs',
      private: true,
      dependencies: { 'service-tokens': `file:${tarball}`, ...pinned(...CONSUMER_DEPENDENCIES) },
      devDependencies: pinned('typescript', 'ts-node', '@types/node'),
    },
    {
      'tsconfig.json': 'cjs/tsconfig.json',
      'bin/orders.ts': 'cjs/bin/orders.ts',
      'lib/stacks.ts': 'stacks.ts',
    },
  );
  const outdir = join(dir, 'cdk.out');
  // cdk.json's "app" of a `cdk init` app of the ts-node days: ts-node --prefer-ts-exts.
  const tsNode = join(dir, 'node_modules/ts-node/dist/bin.js');
  const synth = await run(NODE, [tsNode, '--prefer-ts-exts', 'bin/orders.ts'], dir, {
    CDK_OUTDIR: outdir,
  });
  return { name: 'CommonJS (ts-node)', dir, outdir, synth };
}

export async function esModuleApp(work: string, tarball: string): Promise<[Consumer, Consumer]> {
  const dir = join(work, 'orders-esm');
  await install(
    dir,
    {
      name: 'orders-esm',
      private: true,
      type: 'module',
      dependencies: { 'service-tokens': `file:${tarball}`, ...pinned(...CONSUMER_DEPENDENCIES) },
      devDependencies: pinned('typescript', '@types/node'),
    },
    {
      'tsconfig.json': 'esm/tsconfig.json',
      'app.ts': 'esm/app.ts',
      'nag-canary.ts': 'esm/nag-canary.ts',
      'stacks.ts': 'stacks.ts',
    },
  );
  await succeed(NODE, [join(dir, 'node_modules/typescript/bin/tsc'), '-p', dir], dir);
  const synthOf = async (name: string, entry: string, out: string): Promise<Consumer> => {
    const outdir = join(dir, out);
    return { name, dir, outdir, synth: await run(NODE, [entry], dir, { CDK_OUTDIR: outdir }) };
  };
  return Promise.all([
    synthOf('ES module', 'app.ts', 'cdk.out'),
    synthOf('nag canary', 'nag-canary.ts', 'canary.out'),
  ]);
}
