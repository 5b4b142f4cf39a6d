/**
 * Progress of long work on stderr: what is being done, how far it is and the time it has
 * taken, redrawn every second on a terminal, a line per step elsewhere, nothing under --json.
 */
import type { CliContext } from './context';

/** Runs `work` under `label`, showing the elapsed time while it runs and when it is done. */
export async function withProgress<T>(
  context: CliContext,
  label: string,
  work: () => Promise<T>,
): Promise<T> {
  const started = Date.now();
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
  context.progress(`${label}…`);
  const ticker =
    context.io.interactive === true
      ? setInterval(() => {
          context.progress(`${label}… ${elapsed()}`);
        }, 1000)
      : undefined;
  try {
    const result = await work();
    context.progress(`${label}: done in ${elapsed()}`);
    return result;
  } finally {
    clearInterval(ticker);
  }
}

/**
 * The live tokens of `owner`, counted page by page with the count shown as it grows: what an
 * owner-wide emergency revoke is about to end.
 */
export async function countLive(
  context: CliContext,
  list: (cursor: string | undefined) => Promise<{ items: unknown[]; cursor?: string | undefined }>,
  owner: string,
): Promise<number> {
  let count = 0;
  let cursor: string | undefined;
  do {
    const page = await list(cursor);
    count += page.items.length;
    cursor = page.cursor;
    if (cursor !== undefined)
      context.progress(`counting the live tokens of ${owner}: ${String(count)}…`);
  } while (cursor !== undefined);
  return count;
}
