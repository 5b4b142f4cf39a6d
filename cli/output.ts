/** The human text of the CLI's results; `--json` prints the results themselves. */
import type { CliContext } from './context';

/** One `key  value` line per defined field, for a token or its usage. */
export function describe(value: Record<string, unknown>): string {
  return Object.entries(value)
    .filter(([, v]) => v !== undefined)
    .map(
      ([k, v]) =>
        `${k.padEnd(13)} ${Array.isArray(v) ? v.join(' ') : typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}`,
    )
    .join('\n');
}

/** One line per item, then how to ask for the next page; `(none)` for an empty page. */
export function pageText<T>(
  page: { readonly items: readonly T[]; readonly cursor?: string },
  line: (item: T) => string,
): string {
  return (
    [
      ...page.items.map(line),
      ...(page.cursor === undefined ? [] : [`(more: --cursor ${page.cursor})`]),
    ].join('\n') || '(none)'
  );
}

/**
 * A newly issued token: the warning to store it goes to stderr, the plaintext and `details`
 * to stdout, so that a script can capture the token alone.
 */
export function printIssued(
  context: CliContext,
  issued: { readonly token: string; readonly warning: string },
  details: readonly string[],
): void {
  context.io.err(`WARNING: ${issued.warning}\n`);
  context.print(issued, () => [issued.token, '', ...details].join('\n'));
}

/** The details of a rotation's successor: its id, expiry, and how long the old token works. */
export function successorLines(rotated: {
  readonly tokenId: string;
  readonly expiresAt: string;
  readonly predecessor: { readonly tokenId: string; readonly worksUntil: string };
}): string[] {
  return [
    `id       ${rotated.tokenId}`,
    `expires  ${rotated.expiresAt}`,
    `${rotated.predecessor.tokenId} keeps working until ${rotated.predecessor.worksUntil}`,
  ];
}
