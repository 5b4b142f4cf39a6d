/** How a developer's `npm run local -- …` finds the stack: its URL, given when not the default. */

/** Where `npm run local` looks for the stack when not told (`npm start` without `--port`). */
export const DEFAULT_LOCAL_URL = 'http://127.0.0.1:3000';

/** `npm run local -- <args>` as it must be typed for the stack at `url`. */
export function localCommand(url: string, args: string): string {
  const target = url === DEFAULT_LOCAL_URL ? '' : `--url ${url} `;
  return `npm run local -- ${target}${args}`;
}
