/** The `tokens` program itself: it builds, each command once, and a crash is an exit code. */
import { describe, expect, it } from 'vitest';
import { buildProgram, runCli } from '../../cli/program';

const io = { out: () => undefined, err: () => undefined, env: {} };

describe('the tokens program', () => {
  it('builds with every command family, each command named once', () => {
    const names = buildProgram(io).commands.map((command) => command.name());
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(
      expect.arrayContaining(['login', 'whoami', 'create', 'emergency-revoke', 'scan', 'cleanup']),
    );
  });

  it('answers --help with exit code 0', async () => {
    let out = '';
    const code = await runCli(['--help'], { ...io, out: (text) => (out += text) });
    expect(code).toBe(0);
    expect(out).toContain('Usage: tokens');
  });
});
