#!/usr/bin/env tsx
/** Entry of the `tokens` CLI (`npm run tokens -- --help`); see cli/program.ts. */
import { runCli } from './program';
import { terminal } from './terminal';

process.exitCode = await runCli(process.argv.slice(2), terminal);
