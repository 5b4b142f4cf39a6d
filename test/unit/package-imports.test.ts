import { describe, expect, it } from 'vitest';
import { checkImports, packageOf } from '../../scripts/package-imports';

describe('packageOf', () => {
  it.each([
    ['aws-cdk-lib', 'aws-cdk-lib'],
    ['aws-cdk-lib/aws-iam', 'aws-cdk-lib'],
    ['zod/mini', 'zod'],
    ['@aws-sdk/client-dynamodb', '@aws-sdk/client-dynamodb'],
    ['@aws-lambda-powertools/logger/middleware', '@aws-lambda-powertools/logger'],
  ])('names %s as package %s', (specifier, name) => {
    expect(packageOf(specifier)).toBe(name);
  });

  it.each(['node:path', 'path', 'node:fs/promises'])(
    "names no package for Node's own %s",
    (specifier) => {
      expect(packageOf(specifier)).toBeNull();
    },
  );
});

describe('checkImports (the library imports only its dependencies and peers)', () => {
  const allowed = new Set(['aws-cdk-lib', 'constructs', 'zod']);

  it('accepts subpaths of allowed packages and Node modules', () => {
    expect(() => {
      checkImports('dist/esm/index.js', ['aws-cdk-lib/aws-iam', 'zod/mini', 'node:path'], allowed);
    }).not.toThrow();
  });

  it('names every other package once, and where it was imported', () => {
    expect(() => {
      checkImports(
        'the declarations',
        ['@aws-sdk/client-dynamodb', 'constructs', '@aws-sdk/client-dynamodb', 'commander'],
        allowed,
      );
    }).toThrow(
      'the declarations imports @aws-sdk/client-dynamodb, commander: not a dependency or peer dependency in package.json',
    );
  });
});
