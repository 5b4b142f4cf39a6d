import { describe, expect, it } from 'vitest';
import { DEFAULT_LOCAL_URL, localCommand } from '../../local/stack/local-command';

describe('the npm run local commands the banner prints', () => {
  it('name the URL of a stack on another port, so they work as printed', () => {
    expect(localCommand('http://127.0.0.1:4100', 'rotate-now')).toBe(
      'npm run local -- --url http://127.0.0.1:4100 rotate-now',
    );
  });

  it('stay short for the default port, which npm run local finds by itself', () => {
    expect(localCommand(DEFAULT_LOCAL_URL, 'tokens list')).toBe('npm run local -- tokens list');
  });
});
