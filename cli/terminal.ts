/** The real terminal of `cli/tokens.ts`: stdout, stderr, and reading a secret without echo. */
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import type { CliIo } from './context';

/** All of stdin when it is piped (`pass show x | tokens login …`), else a silent prompt. */
async function readSecret(prompt: string): Promise<string> {
  if (!process.stdin.isTTY) {
    let text = '';
    for await (const chunk of process.stdin) text += String(chunk);
    return text;
  }
  process.stderr.write(prompt);
  // The typed characters go nowhere: a token on the screen is a token in a screenshot.
  const silent = new Writable({
    write: (_chunk, _encoding, done) => {
      done();
    },
  });
  const lines = createInterface({ input: process.stdin, output: silent, terminal: true });
  try {
    return await new Promise<string>((resolve) => lines.once('line', resolve));
  } finally {
    lines.close();
    process.stderr.write('\n');
  }
}

export const terminal: CliIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  env: process.env,
  readSecret,
  interactive: process.stderr.isTTY,
};
