/** The one shape of the CLI's errors under --json, as scripts may rely on it. */
import { z } from 'zod';

export const CLI_JSON_ERROR = z.strictObject({
  error: z.strictObject({
    code: z.string(),
    message: z.string(),
    exitCode: z.number(),
    status: z.optional(z.number()),
  }),
});
