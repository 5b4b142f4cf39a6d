#!/usr/bin/env tsx
/** Entry of the `tokens` CLI (`npm run tokens -- --help`); see cli/program.ts. */
import { runCli } from './program';

process.exitCode = await runCli(process.argv.slice(2), {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  env: process.env,
});
