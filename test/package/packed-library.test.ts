/**
 * The library as a team installs it: `npm pack`, then CDK apps in fresh folders outside the
 * repository install the tarball with npm and synthesize, offline, a stack protecting its own
 * RestApi and HttpApi (fixtures/orders-stack.ts) under cdk-nag: a `cdk init` CommonJS app on
 * ts-node (`require`) and an ES module app run by Node (`import`, typechecked by tsc). Neither
 * folder has esbuild: the authorizer's code must come prebundled in the package.
 */
import { execFile } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';

const ROOT = join(import.meta.dirname, '../..');
const FIXTURES = join(import.meta.dirname, 'fixtures');
const NODE = process.execPath;

interface Run {
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
    const options = { cwd, env: childEnv(extra), maxBuffer: 64 * 1024 * 1024 };
    execFile(command, args, options, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

async function succeed(command: string, args: string[], cwd: string): Promise<string> {
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

const packSchema = z.tuple([
  z.object({
    filename: z.string(),
    size: z.number(),
    entryCount: z.number(),
    files: z.array(z.object({ path: z.string() })),
  }),
]);

interface Consumer {
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

async function commonJsApp(work: string, tarball: string): Promise<Consumer> {
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
      'lib/orders-stack.ts': 'orders-stack.ts',
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

async function esModuleApp(work: string, tarball: string): Promise<[Consumer, Consumer]> {
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
      'orders-stack.ts': 'orders-stack.ts',
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

let work: string;
let packed: z.infer<typeof packSchema>[number];
let consumers: Consumer[];
let canary: Consumer;

beforeAll(async () => {
  const started = Date.now();
  work = mkdtempSync(join(tmpdir(), 'service-tokens-packed-'));
  await succeed('npm', ['run', 'build:lib'], ROOT);
  const packArgs = ['pack', '--json', '--ignore-scripts', '--pack-destination', work];
  [packed] = packSchema.parse(JSON.parse(await succeed('npm', packArgs, ROOT)));
  const tarball = join(work, packed.filename);
  const [cjs, [esm, nagCanary]] = await Promise.all([
    commonJsApp(work, tarball),
    esModuleApp(work, tarball),
  ]);
  consumers = [cjs, esm];
  canary = nagCanary;
  const mib = (packed.size / 2 ** 20).toFixed(1);
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  console.log(`packed: ${mib} MiB, ${packed.entryCount} files; consumers ready in ${seconds} s`);
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

const reportSchema = z.object({
  pluginReports: z.array(
    z.object({
      violations: z.array(
        z.object({
          ruleName: z.string(),
          violatingConstructs: z.array(z.object({ constructPath: z.string() })),
        }),
      ),
    }),
  ),
});

/** cdk-nag's findings (errors and warnings alike) as `rule construct` lines. */
function nagFindings(consumer: Consumer): string[] {
  const report = reportSchema.parse(
    JSON.parse(readFileSync(join(consumer.outdir, 'validation-report.json'), 'utf8')),
  );
  return report.pluginReports.flatMap((plugin) =>
    plugin.violations.flatMap((v) =>
      v.violatingConstructs.map((c) => `${v.ruleName} ${c.constructPath}`),
    ),
  );
}

const templateSchema = z.object({
  Resources: z.record(
    z.string(),
    z.object({ Type: z.string(), Properties: z.record(z.string(), z.unknown()).optional() }),
  ),
});
const functionSchema = z.object({
  Description: z.string(),
  Handler: z.string(),
  Runtime: z.string(),
  Code: z.object({ S3Key: z.string().regex(/^[0-9a-f]{64}\.zip$/) }),
});

function authorizerFunctions(consumer: Consumer): z.infer<typeof functionSchema>[] {
  const template = templateSchema.parse(
    JSON.parse(readFileSync(join(consumer.outdir, 'Orders.template.json'), 'utf8')),
  );
  return Object.values(template.Resources)
    .filter((resource) => resource.Type === 'AWS::Lambda::Function')
    .map((resource) => functionSchema.parse(resource.Properties));
}

describe('the packed tarball', () => {
  const paths = () => packed.files.map((file) => file.path);

  it('holds both builds with their types, and the prebundled handlers', () => {
    expect(paths()).toEqual(
      expect.arrayContaining([
        'dist/esm/index.js',
        'dist/esm/index.d.ts',
        'dist/cjs/index.js',
        'dist/cjs/index.d.ts',
        'dist/cjs/package.json',
        'dist/assets/authorizer/index.js',
        'dist/assets/authorizer/index.js.map',
      ]),
    );
  });

  it('holds no tests, benchmarks, fixtures, local stack or TypeScript sources', () => {
    const unwanted = paths().filter(
      (path) =>
        /(^|\/)(test|bench|fixtures|local)\//.test(path) ||
        (path.endsWith('.ts') && !path.endsWith('.d.ts')) ||
        !(path.startsWith('dist/') || ['package.json', 'README.md'].includes(path)),
    );
    expect(unwanted).toEqual([]);
  });
});

describe.each([
  { index: 0, app: 'the CommonJS app on ts-node', build: 'dist/cjs/index.js' },
  { index: 1, app: 'the ES module app', build: 'dist/esm/index.js' },
])('$app', ({ index, build }) => {
  const consumer = () => consumers[index] ?? expect.fail(`no consumer ${index}`);

  it(`synthesizes, loading the package's ${build}`, () => {
    const { synth, name } = consumer();
    expect(synth.code, `${name}:\n${synth.stdout}\n${synth.stderr}`).toBe(0);
    expect(synth.stdout).toContain(`node_modules/service-tokens/${build}`);
  });

  it('is cdk-nag AwsSolutions clean', () => {
    expect(nagFindings(consumer())).toEqual([]);
  });

  it('runs both authorizers from the prebundled asset, with no esbuild installed', () => {
    const { dir, outdir } = consumer();
    expect(existsSync(join(dir, 'node_modules/esbuild'))).toBe(false);
    const functions = authorizerFunctions(consumer());
    expect(functions.map((fn) => fn.Description).sort()).toEqual([
      'Validates sk_ service tokens for a consumer HTTP API',
      'Validates sk_ service tokens for a consumer REST API',
    ]);
    const prebundled = readFileSync(
      join(dir, 'node_modules/service-tokens/dist/assets/authorizer/index.js'),
    );
    for (const fn of functions) {
      expect([fn.Handler, fn.Runtime]).toEqual(['index.handler', 'nodejs24.x']);
      const asset = join(outdir, `asset.${fn.Code.S3Key.replace(/\.zip$/, '')}`, 'index.js');
      expect(readFileSync(asset).equals(prebundled), `${asset} is the prebundled one`).toBe(true);
    }
  });
});

describe('cdk-nag in the consumer folder (the canary)', () => {
  it('reports a method nobody protects, so a clean report means it looked', () => {
    expect(canary.synth.code).not.toBe(0);
    expect(nagFindings(canary)).toContain('AwsSolutions-APIG4 Canary/Open/Default/GET/Resource');
  });
});
