/**
 * The library as a team installs it: `npm pack`, then CDK apps in fresh folders outside the
 * repository install the tarball with npm and synthesize, offline, a stack protecting its own
 * RestApi and HttpApi, and the platform itself (fixtures/stacks.ts), under cdk-nag: a `cdk init` CommonJS app on
 * ts-node (`require`) and an ES module app run by Node (`import`, typechecked by tsc). Neither
 * folder has esbuild: the authorizer's code must come prebundled in the package.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  commonJsApp,
  esModuleApp,
  packSchema,
  ROOT,
  succeed,
  type Consumer,
} from './consumer-apps';

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

function lambdaFunctions(consumer: Consumer, stack: string): z.infer<typeof functionSchema>[] {
  const template = templateSchema.parse(
    JSON.parse(readFileSync(join(consumer.outdir, `${stack}.template.json`), 'utf8')),
  );
  return Object.values(template.Resources)
    .filter((resource) => resource.Type === 'AWS::Lambda::Function')
    .map((resource) => functionSchema.parse(resource.Properties));
}

/** Which of the package's dist/assets/<name>/index.js a function's staged code is, if any. */
function prebundledAsset(consumer: Consumer, fn: z.infer<typeof functionSchema>): string | null {
  const assets = join(consumer.dir, 'node_modules/service-tokens/dist/assets');
  const hash = fn.Code.S3Key.replace(/\.zip$/, '');
  const staged = readFileSync(join(consumer.outdir, `asset.${hash}`, 'index.js'));
  const name = readdirSync(assets).find((asset) =>
    readFileSync(join(assets, asset, 'index.js')).equals(staged),
  );
  return name ?? null;
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
        'dist/esm/client.js',
        'dist/esm/client.d.ts',
        'dist/cjs/client.js',
        'dist/cjs/client.d.ts',
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

  it('loads the typed client from service-tokens/client, without the CDK', async () => {
    const use =
      "const api = new c.ServiceTokensClient({ baseUrl: 'https://api.example.com/v1' });" +
      'console.log(typeof api.createToken, c.OPERATIONS.createToken.method, c.OPERATIONS.createToken.path);';
    const script =
      index === 0
        ? `const c = require('service-tokens/client'); ${use}`
        : `const c = await import('service-tokens/client'); ${use}`;
    const args = index === 0 ? ['-e', script] : ['--input-type=module', '-e', script];
    expect(await succeed(process.execPath, args, consumer().dir)).toBe('function POST /tokens\n');
  });

  it('has no esbuild to bundle with', () => {
    expect(existsSync(join(consumer().dir, 'node_modules/esbuild'))).toBe(false);
  });

  it('runs both authorizers from the prebundled authorizer asset', () => {
    const functions = lambdaFunctions(consumer(), 'Orders');
    expect(functions.map((fn) => fn.Description).sort()).toEqual([
      'Validates sk_ service tokens for a consumer HTTP API',
      'Validates sk_ service tokens for a consumer REST API',
    ]);
    for (const fn of functions) {
      expect([fn.Handler, fn.Runtime]).toEqual(['index.handler', 'nodejs24.x']);
      expect(prebundledAsset(consumer(), fn)).toBe('authorizer');
    }
  });

  it('runs every platform function from its prebundled asset', () => {
    const names = lambdaFunctions(consumer(), 'Platform').map((fn) =>
      prebundledAsset(consumer(), fn),
    );
    expect(names.filter((name) => name === null)).toEqual([]);
    expect(names).toEqual(
      expect.arrayContaining([
        'api-registry',
        'authorizer',
        'cleanup',
        'expiry-alerts',
        'lifecycle-events',
        'management-api',
        'rotation',
        'stage-flusher',
      ]),
    );
  });
});

describe('cdk-nag in the consumer folder (the canary)', () => {
  it('reports a method nobody protects, so a clean report means it looked', () => {
    expect(canary.synth.code).not.toBe(0);
    expect(nagFindings(canary)).toContain('AwsSolutions-APIG4 Canary/Open/Default/GET/Resource');
  });
});
