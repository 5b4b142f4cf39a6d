/** Turning command-line text into the values the use cases take; bad input is a `BadRequest`. */
import { BadRequest } from '../shared/api/errors';
import { validate } from '../shared/api/http';
import { isReservedKey, RESERVED_KEY_MESSAGE } from '../shared/api/strict-input';
import { tokenIdSchema } from '../shared/api/schemas';

/** A `tok_…` argument, checked as the API checks a path parameter. */
export function tokenIdArg(value: string): string {
  return validate(tokenIdSchema, value, 'token id');
}

/** A count of days or minutes given to `flag`; the schema then checks its range. */
export function wholeNumber(value: string, flag: string): number {
  if (!/^\d+$/.test(value)) throw new BadRequest(`${flag} must be a whole number`);
  return Number(value);
}

/** `--meta key=value…` as a record. */
export function keyValues(entries: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    entries.map((entry) => {
      const at = entry.indexOf('=');
      if (at <= 0) throw new BadRequest('--meta entries look like key=value');
      const key = entry.slice(0, at);
      // Checked here, on the raw key: the schema never sees a `__proto__` entry.
      if (isReservedKey(key)) throw new BadRequest(`--meta ${RESERVED_KEY_MESSAGE}`);
      return [key, entry.slice(at + 1)];
    }),
  );
}
