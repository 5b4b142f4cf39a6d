import type { Page } from '../store';

/**
 * Walk a paged query page by page from `start`, handing each page to `handle`, until the last
 * page or until `hasTime` says no further page fits in the invocation. Returns whether it
 * reached the end, and if not the cursor of the first page it did not read: a run whose
 * handled items do not leave the query's range saves it and resumes there (see
 * `RunReport.resumeAt`); one whose items do leave it can start over.
 */
async function forEachPage<T>(
  fetch: (cursor: string | undefined) => Promise<Page<T>>,
  handle: (items: readonly T[]) => Promise<void>,
  hasTime: () => boolean = () => true,
  start?: string,
): Promise<{ complete: boolean; resumeAt?: string }> {
  let cursor: string | undefined = start;
  do {
    if (!hasTime())
      return cursor === undefined ? { complete: false } : { complete: false, resumeAt: cursor };
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

/** What every scheduled run reports, besides its own counts. */
export interface RunReport {
  /** Index items read: the run's cost. */
  readonly itemsRead: number;
  readonly failures: readonly ItemFailure[];
  /** False when the run stopped early for time; the next run continues. */
  readonly complete: boolean;
  /** Where an unfinished walk stopped: the cursor of its next page. */
  readonly resumeAt?: string;
}

export interface ItemFailure {
  readonly tokenId: string;
  readonly error: string;
}

/**
 * Run `work` on every record of a page at once; a record whose work throws is added to
 * `failures` (by token id and error name) instead of stopping the others.
 */
async function settleEach<T extends { tokenId: string }>(
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

/**
 * The body of a scheduled run: walk the pages, do `work` on every record (a page at a time,
 * its records concurrently), collect per-record failures, and report what was read.
 */
export async function processPages<T extends { tokenId: string }>(
  fetch: (cursor: string | undefined) => Promise<Page<T>>,
  work: (record: T) => Promise<void>,
  hasTime?: () => boolean,
  start?: string,
): Promise<RunReport> {
  let itemsRead = 0;
  const failures: ItemFailure[] = [];
  const walked = await forEachPage(
    fetch,
    async (records) => {
      itemsRead += records.length;
      await settleEach(records, work, failures);
    },
    hasTime,
    start,
  );
  return { itemsRead, failures, ...walked };
}
