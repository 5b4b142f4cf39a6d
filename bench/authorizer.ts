/**
 * The authorizer against a bare GetItem, both as the bundles `cdk synth` produces (the same
 * ServiceFunction bundling), on the same DynamoDB Local table, in one run:
 * - per-decision latency, measured interleaved so drift hits both sides alike;
 * - decisions/s on the in-process cache hit path;
 * - bundle size, and module load time in a fresh Node process (the cold-start share we own).
 */
import { spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildApp } from '../infra/app';
import { ServiceFunction } from '../infra/service-function';
import { loadHandler, synthesizeBundles, type FunctionBundle } from '../local/aws/bundles';
import { LOCAL_AWS_ENV, localDynamoClient } from '../local/aws/clients';
import { startDynamoDbLocal } from '../local/emulators/dynamodb-local';
import { createTables } from '../local/emulators/tables';
import { PLATFORM_API } from '../local/stack/names';
import { parseAuthorizerEvent, shapeResponse } from '../shared/authz/events';
import { RecordCache } from '../shared/authz/record-cache';
import { TokenAuthorizer } from '../shared/authz/token-authorizer';
import { openStores } from '../shared/store';
import { hashToken } from '../shared/token/format';
import { mintToken } from '../shared/token/mint';
import { DAY_MS } from '../shared/time';
import type { BenchRow } from './report';

const AUTHORIZER = 'Validates sk_ service tokens for API Gateway';
const BARE = 'bench: bare GetItem';
const TRACED = 'bench: bare GetItem with Powertools Tracer';
const SAMPLES = 3_000;
const WARMUP = 300;
const COLD_STARTS = 15;
const STAGE = 'arn:aws:execute-api:us-east-1:123456789012:abc123/v1';

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** Swallow stdout while measuring: EMF metrics are still serialised, just not printed. */
async function quietly<T>(work: () => Promise<T>): Promise<T> {
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = () => true;
  try {
    return await work();
  } finally {
    process.stdout.write = write;
  }
}

/** Median time to load a bundle in a fresh Node process, with the environment it expects. */
function moduleLoadMs(bundle: FunctionBundle, env: Record<string, string>): number[] {
  const file = join(bundle.dir, 'index.js');
  const script = `const t=process.hrtime.bigint();require(${JSON.stringify(file)});process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`;
  return Array.from({ length: COLD_STARTS }, () => {
    const run = spawnSync(process.execPath, ['-e', script], {
      env: { ...process.env, ...bundle.environment, ...env },
      encoding: 'utf8',
    });
    if (run.status !== 0) throw new Error(`loading ${file} failed: ${run.stderr}`);
    return Number(run.stdout);
  });
}

const median = (values: number[]) =>
  percentile(
    [...values].sort((a, b) => a - b),
    50,
  );

/** Sequential calls for two seconds, after one warm-up call and a pause for its side effects. */
async function ratePerSecond(call: () => Promise<unknown>): Promise<number> {
  await call();
  await sleep(100);
  let count = 0;
  const start = performance.now();
  while (performance.now() - start < 2_000) {
    await call();
    count++;
  }
  return count / ((performance.now() - start) / 1000);
}

export async function benchAuthorizer(): Promise<BenchRow[]> {
  const bundles = synthesizeBundles((app) => {
    const { stack } = buildApp(app);
    new ServiceFunction(stack, 'BenchBareGetItem', {
      entry: 'bench/fixtures/bare-getitem.ts',
      description: BARE,
    });
    new ServiceFunction(stack, 'BenchTracedGetItem', {
      entry: 'bench/fixtures/traced-getitem.ts',
      description: TRACED,
    });
    return stack;
  });
  const authorizerBundle = bundles[AUTHORIZER];
  const bareBundle = bundles[BARE];
  const tracedBundle = bundles[TRACED];
  if (authorizerBundle === undefined || bareBundle === undefined || tracedBundle === undefined)
    throw new Error('bundles missing');

  const dynamo = await startDynamoDbLocal();
  const client = localDynamoClient(dynamo.endpoint);
  try {
    const tables = { tokens: 'bench-tokens', audit: 'bench-audit' };
    await createTables(client, tables);
    const { tokens } = openStores({ client, tables });
    const now = new Date();
    const { token, input } = mintToken({
      name: 'bench',
      owner: 'bench',
      scopes: ['orders:read'],
      createdAt: now,
      expiresAt: new Date(now.getTime() + DAY_MS),
    });
    await tokens.create(input, { actor: 'bench' });

    const env = {
      ...LOCAL_AWS_ENV,
      TOKENS_TABLE_NAME: tables.tokens,
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      POWERTOOLS_LOG_LEVEL: 'WARN',
    };
    const bare = loadHandler(bareBundle, env);
    const authorize = loadHandler(authorizerBundle, { ...env, LOCAL_CACHE_TTL_SECONDS: '0' });
    const event = {
      type: 'TOKEN',
      authorizationToken: `Bearer ${token}`,
      methodArn: `${STAGE}/GET/me`,
    };
    const bareEvent = { tokenHash: hashToken(token) };

    const { bareMs, authorizerMs } = await quietly(async () => {
      for (let i = 0; i < WARMUP; i++) {
        await bare(bareEvent);
        await authorize(event);
      }
      const bareTimes: number[] = [];
      const authorizerTimes: number[] = [];
      for (let i = 0; i < SAMPLES; i++) {
        let start = performance.now();
        await bare(bareEvent);
        bareTimes.push(performance.now() - start);
        start = performance.now();
        const result = await authorize(event);
        authorizerTimes.push(performance.now() - start);
        if (!JSON.stringify(result).includes('"Allow"'))
          throw new Error('authorizer did not allow');
      }
      return {
        bareMs: bareTimes.sort((a, b) => a - b),
        authorizerMs: authorizerTimes.sort((a, b) => a - b),
      };
    });

    // Cache hit path: the authorizer's own work per decision once the record is cached
    // (parse the event, verify the token, evaluate, build the policy), with no I/O.
    const core = new TokenAuthorizer({
      lookup: (hash) => tokens.getByHash(hash, { consistent: true }),
      cache: new RecordCache(300_000),
    });
    const decideFromCache = async () => {
      const request = parseAuthorizerEvent(event);
      if (request === undefined) throw new Error('bad event');
      return shapeResponse(await core.decide(request.authorization), request, PLATFORM_API.catalog);
    };
    const coreRate = await ratePerSecond(decideFromCache);
    // The same through the whole bundled handler: adds middy, the Logger's per-invocation
    // context and one EMF metrics flush per invocation.
    const cached = loadHandler(authorizerBundle, { ...env, LOCAL_CACHE_TTL_SECONDS: '300' });
    const handlerRate = await quietly(() => ratePerSecond(() => cached(event)));

    const authorizerFile = join(authorizerBundle.dir, 'index.js');
    const bareFile = join(bareBundle.dir, 'index.js');
    const tracedFile = join(tracedBundle.dir, 'index.js');
    const loadEnv = { ...env, LOCAL_CACHE_TTL_SECONDS: '0' };
    const authorizerLoad: number[] = [];
    const bareLoad: number[] = [];
    const tracedLoad: number[] = [];
    // Alternate them so machine noise spreads evenly.
    for (let round = 0; round < 3; round++) {
      bareLoad.push(...moduleLoadMs(bareBundle, loadEnv));
      authorizerLoad.push(...moduleLoadMs(authorizerBundle, loadEnv));
      tracedLoad.push(...moduleLoadMs(tracedBundle, loadEnv));
    }

    const p50Ratio = percentile(authorizerMs, 50) / percentile(bareMs, 50);
    const loadRatio = median(authorizerLoad) / median(bareLoad);
    const section = 'authorizer';
    const size = (file: string) => statSync(file).size / 1024;
    const gzipped = (file: string) => gzipSync(readFileSync(file)).length / 1024;
    return [
      { section, name: 'bare GetItem p50', value: percentile(bareMs, 50), unit: 'ms' },
      { section, name: 'bare GetItem p99', value: percentile(bareMs, 99), unit: 'ms' },
      { section, name: 'authorizer decision p50', value: percentile(authorizerMs, 50), unit: 'ms' },
      { section, name: 'authorizer decision p99', value: percentile(authorizerMs, 99), unit: 'ms' },
      {
        section,
        name: 'authorizer / bare GetItem at p50',
        value: p50Ratio,
        unit: 'ratio',
        target: { op: '<=', value: 1.15 },
        note: `${SAMPLES} interleaved samples each`,
      },
      {
        section,
        name: 'authorizer / bare GetItem at p99',
        value: percentile(authorizerMs, 99) / percentile(bareMs, 99),
        unit: 'ratio',
      },
      {
        section,
        name: 'in-process cache hit path (decision)',
        value: coreRate,
        unit: 'decisions/s',
        target: { op: '>=', value: 100_000 },
        note: 'parse event, verify, build policy',
      },
      {
        section,
        name: 'in-process cache hit path (whole handler)',
        value: handlerRate,
        unit: 'invocations/s',
        note: '+ middy, log context, EMF flush',
      },
      {
        section,
        name: 'authorizer bundle',
        value: size(authorizerFile),
        unit: 'KiB',
        note: `${gzipped(authorizerFile).toFixed(0)} KiB gzipped`,
      },
      {
        section,
        name: 'bare GetItem bundle',
        value: size(bareFile),
        unit: 'KiB',
        note: `${gzipped(bareFile).toFixed(0)} KiB gzipped`,
      },
      {
        section,
        name: 'authorizer module load (median)',
        value: median(authorizerLoad),
        unit: 'ms',
      },
      { section, name: 'bare GetItem module load (median)', value: median(bareLoad), unit: 'ms' },
      {
        section,
        name: 'Tracer: bare GetItem + Tracer bundle',
        value: size(tracedFile),
        unit: 'KiB',
        note: `+${(size(tracedFile) - size(bareFile)).toFixed(0)} KiB (+${(gzipped(tracedFile) - gzipped(bareFile)).toFixed(0)} gzipped) over bare`,
      },
      {
        section,
        name: 'Tracer: module load ratio over bare',
        value: median(tracedLoad) / median(bareLoad),
        unit: 'ratio',
        note: `${median(tracedLoad).toFixed(0)} ms; Tracer's share of every function's cold load`,
      },
      {
        section,
        name: 'module load ratio (cold start)',
        value: loadRatio,
        unit: 'ratio',
        target: { op: '<=', value: 1.5 },
        note: `${authorizerLoad.length} fresh processes each`,
      },
    ];
  } finally {
    client.destroy();
    await dynamo.stop();
  }
}
