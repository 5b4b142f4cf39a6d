/**
 * Rules for raw request input that no schema can see after parsing:
 * - map keys named like members of `Object.prototype` (`constructor`, `__proto__`, `toString`…)
 *   cannot be stored safely: the DynamoDB marshaller throws on them (a 5xx) and zod drops
 *   `__proto__` silently. They are refused wherever a map enters (bodies, query strings, the
 *   CLI's `--meta`), on the own keys of the raw input;
 * - a lone UTF-16 surrogate is not text: DynamoDB, JSON consumers and log pipelines would each
 *   handle it differently, so it is refused in every string and key;
 * - a day is a real calendar date (2026-02-30 is not one).
 */
const RESERVED_KEYS: ReadonlySet<string> = new Set(Object.getOwnPropertyNames(Object.prototype));

export const RESERVED_KEY_MESSAGE =
  'keys must not be names of JavaScript object members (constructor, __proto__, toString, …)';

export function isReservedKey(key: string): boolean {
  return RESERVED_KEYS.has(key);
}

/** What is wrong with one raw key and its value, if anything (never echoing either). */
export function rawEntryProblem(key: string, value: unknown): string | undefined {
  if (isReservedKey(key)) return RESERVED_KEY_MESSAGE;
  if (hasLoneSurrogate(key) || (typeof value === 'string' && hasLoneSurrogate(value))) {
    return 'text must not contain lone UTF-16 surrogates';
  }
  return undefined;
}

/** In `u` mode a paired surrogate is one code point: only a lone one matches `\p{Cs}`. */
export function hasLoneSurrogate(text: string): boolean {
  return /\p{Cs}/u.test(text);
}

/** A `YYYY-MM-DD` that names a real day of the (proleptic Gregorian, UTC) calendar. */
export function isCalendarDate(day: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return false;
  const at = new Date(`${day}T00:00:00.000Z`);
  return !Number.isNaN(at.getTime()) && at.toISOString().slice(0, 10) === day;
}
