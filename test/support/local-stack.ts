/**
 * The local stack as a user starts it (`npm start` in its own process group) and other
 * commands as a user runs them, for the tests that drive it only from the outside.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../../local/emulators/child-process';

const ROOT = join(import.meta.dirname, '../..');
const READY = 'Ctrl-C stops everything.';

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface Running {
  readonly child: ChildProcess;
  /** The platform's API. */
  readonly url: string;
  /** The example consumer's orders API. */
  readonly ordersUrl: string;
  readonly dynamoEndpoint: string;
  readonly motoEndpoint: string;
  readonly adminToken: string | undefined;
  readonly readyMs: number;
  output(): string;
  exited: Promise<Exit>;
}

/** Every `npm start` of the test file, so `afterAll` can kill what is left. */
export const children: ChildProcess[] = [];

/** Kill every `npm start` of the test file still running, with its process group. */
export function killChildren(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      process.kill(-child.pid, 'SIGKILL');
    }
  }
}

/** What a shell reports after Ctrl-C: exit 0, or npm re-raising the SIGINT it forwarded. */
export const cleanInterrupt = (exit: Exit) => exit.code === 0 || exit.signal === 'SIGINT';

/** `npm start -- …` in its own process group, as a terminal runs it. */
export function npmStart(args: string[]): {
  child: ChildProcess;
  output: () => string;
  exited: Promise<Exit>;
} {
  const child = spawn('npm', ['start', '--', ...args], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<Exit>((resolve) =>
    child.once('exit', (code, signal) => {
      resolve({ code, signal });
    }),
  );
  return { child, output: () => output, exited };
}

/**
 * `npm start -- …`, once it printed that it is ready, with what it printed. Without an
 * `--orders-port`, a free one: the default (`--port` + 1) may be another test's emulator.
 */
export async function startStack(given: string[]): Promise<Running> {
  const began = Date.now();
  const args = given.includes('--orders-port')
    ? given
    : [...given, '--orders-port', String(await freePort())];
  const started = npmStart(args);
  const state = { exited: false };
  void started.exited.then(() => (state.exited = true));
  while (!started.output().includes(READY)) {
    if (state.exited) throw new Error(`npm start exited before it was ready:\n${started.output()}`);
    if (Date.now() - began > 120_000)
      throw new Error(`npm start not ready in 120 s:\n${started.output()}`);
    await sleep(100);
  }
  const text = started.output();
  const match = (pattern: RegExp) => pattern.exec(text)?.[1];
  const url = match(/^\s+API\s+(http:\/\/127\.0\.0\.1:\d+)/m);
  const ordersUrl = match(/^\s+Orders API\s+(http:\/\/127\.0\.0\.1:\d+)/m);
  const dynamoEndpoint = match(/DynamoDB Local\s+(http:\/\/127\.0\.0\.1:\d+)/);
  const motoEndpoint = match(/moto\s+(http:\/\/127\.0\.0\.1:\d+)/);
  if (
    url === undefined ||
    ordersUrl === undefined ||
    dynamoEndpoint === undefined ||
    motoEndpoint === undefined
  )
    throw new Error(`No endpoints printed:\n${text}`);
  return {
    ...started,
    url,
    ordersUrl,
    dynamoEndpoint,
    motoEndpoint,
    adminToken: match(/First admin token[^\n]*\n\s+(sk_\w+)/),
    readyMs: Date.now() - began,
  };
}

/** Ctrl-C: SIGINT to the whole foreground process group. */
export async function interrupt(stack: Running): Promise<Exit> {
  if (stack.child.pid !== undefined) process.kill(-stack.child.pid, 'SIGINT');
  return stack.exited;
}

/** Run a command to its end without blocking (a running stack keeps printing meanwhile). */
export function runProcess(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? ROOT,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('exit', (code) => {
      resolve({ code, stdout, stderr });
    });
  });
}

export interface RawRequest {
  readonly method: string;
  readonly path: string;
  /** Sent as given, `host` included (fetch would replace it); `host: null` sends none at all. */
  readonly headers: Readonly<Record<string, string | null>>;
  readonly body?: string;
}

/** One HTTP request with the headers a browser or a rebinding page sends: status and body. */
export function sendRaw(
  url: string,
  request: RawRequest,
): Promise<{ status: number; body: unknown }> {
  const target = new URL(url);
  const headers = Object.fromEntries(
    Object.entries(request.headers).flatMap(([name, value]) =>
      value === null ? [] : [[name, value]],
    ),
  );
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: request.method,
        path: request.path,
        headers,
        setHost: !('host' in request.headers),
        agent: false,
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => {
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // Not every refusal is JSON: Node itself answers a request without Host with 400.
          }
          resolve({ status: response.statusCode ?? 0, body });
        });
      },
    );
    outgoing.once('error', reject);
    outgoing.end(request.body);
  });
}
