/** Progress of long CLI work: counted as it goes, timed, redrawn only on a terminal. */
import { describe, expect, it } from 'vitest';
import type { CliContext } from '../../cli/context';
import { countLive, withProgress } from '../../cli/progress';

function context(interactive: boolean) {
  const lines: string[] = [];
  const ctx: CliContext = {
    io: { out: () => undefined, err: () => undefined, env: {}, interactive },
    options: () => ({}),
    backend: () => Promise.reject(new Error('not used')),
    direct: () => Promise.reject(new Error('not used')),
    print: () => undefined,
    progress: (text) => lines.push(text),
  };
  return { ctx, lines };
}

describe('progress', () => {
  it('counts page by page, saying how many so far while more pages come', async () => {
    const { ctx, lines } = context(false);
    const pages = [{ items: [1, 2], cursor: 'a' }, { items: [3, 4], cursor: 'b' }, { items: [5] }];
    let asked = 0;
    const count = await countLive(
      ctx,
      () => Promise.resolve(pages[asked++] ?? { items: [] }),
      'team-b',
    );
    expect(count).toBe(5);
    expect(lines).toEqual([
      'counting the live tokens of team-b: 2…',
      'counting the live tokens of team-b: 4…',
    ]);
  });

  it('ticks the elapsed time on a terminal while the work runs, and times the end', async () => {
    const { ctx, lines } = context(true);
    const result = await withProgress(
      ctx,
      'revoking',
      () =>
        new Promise((resolve) =>
          setTimeout(() => {
            resolve(7);
          }, 1100),
        ),
    );
    expect(result).toBe(7);
    expect(lines[0]).toBe('revoking…');
    expect(lines.slice(1, -1)).toEqual([expect.stringMatching(/^revoking… 1\.\d s$/)]);
    expect(lines.at(-1)).toMatch(/^revoking: done in 1\.\d s$/);
  });

  it('stops ticking when the work fails, and lets the failure through', async () => {
    const { ctx, lines } = context(true);
    await expect(
      withProgress(ctx, 'revoking', () => Promise.reject(new Error('503'))),
    ).rejects.toThrow('503');
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(lines).toEqual(['revoking…']);
  });
});
