import { describe, expect, it } from 'vitest';

describe('toolchain', () => {
  it('runs on the Node major the Lambda functions run on (24), not the machine’s older Node', () => {
    expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(24);
  });
});
