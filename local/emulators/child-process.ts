/** Start-up and shutdown plumbing shared by the emulator runners. */
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** A port on 127.0.0.1 that nothing listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not determine a free port'));
      });
    });
  });
}

/**
 * Wait until `probe` succeeds. Fails at once with the child's own output if it dies first,
 * and after `timeoutMs` otherwise; the child is killed on failure.
 */
export async function waitUntilReady(
  child: ChildProcess,
  what: string,
  probe: () => Promise<unknown>,
  options: { timeoutMs?: number; onSpawnError?: (message: string) => string } = {},
): Promise<void> {
  let output = '';
  // Keep reading after start-up so the pipes never fill; remember only the tail.
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-8_192));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let failure: string | undefined;
  child.once('error', (error) => {
    failure = options.onSpawnError?.(error.message) ?? `could not start ${what}: ${error.message}`;
  });
  child.once('exit', (code, signal) => {
    failure ??= `${what} exited (${String(code ?? signal)}) before it was ready:\n${output.trim()}`;
  });
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    if (failure !== undefined) throw new Error(failure);
    try {
      await probe();
      return;
    } catch (error) {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`${what} did not answer in time: ${String(error)}`, { cause: error });
      }
      await sleep(100);
    }
  }
}

/** SIGTERM the child and resolve once it has exited (at once if it already has). */
export function stopChild(child: ChildProcess): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve();
      return;
    }
    child.once('exit', () => {
      resolve();
    });
    child.kill('SIGTERM');
  });
}
