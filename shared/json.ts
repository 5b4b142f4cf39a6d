/** JSON text as a value, or undefined when it is not JSON: for input a schema checks next. */
export function parseJsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
