import type { Page } from '../store/token-store';

/**
 * Walk a paged query page by page, handing each page to `handle`, until the last page or until
 * `hasTime` says no further page fits in the invocation. Returns whether it reached the end; an
 * unfinished walk is picked up by the next run, because handled items leave the query's range
 * or are skipped as already done.
 */
export async function forEachPage<T>(
  fetch: (cursor: string | undefined) => Promise<Page<T>>,
  handle: (items: readonly T[]) => Promise<void>,
  hasTime: () => boolean = () => true,
): Promise<{ complete: boolean }> {
  let cursor: string | undefined;
  do {
    if (!hasTime()) return { complete: false };
    const page = await fetch(cursor);
    await handle(page.items);
    cursor = page.cursor;
  } while (cursor !== undefined);
  return { complete: true };
}

/** The name of an error, for reports and logs; never its message, which may carry data. */
function errorName(error: unknown): string {
  if (error instanceof Error) {
    const code = 'code' in error && typeof error.code === 'string' ? `:${error.code}` : '';
    return `${error.name}${code}`;
  }
  return 'UnknownError';
}

export interface ItemFailure {
  readonly tokenId: string;
  readonly error: string;
}

/**
 * Run `work` on every record of a page at once; a record whose work throws is added to
 * `failures` (by token id and error name) instead of stopping the others.
 */
export async function settleEach<T extends { tokenId: string }>(
  records: readonly T[],
  work: (record: T) => Promise<void>,
  failures: ItemFailure[],
): Promise<void> {
  await Promise.all(
    records.map(async (record) => {
      try {
        await work(record);
      } catch (error) {
        failures.push({ tokenId: record.tokenId, error: errorName(error) });
      }
    }),
  );
}
