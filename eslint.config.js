// @ts-check
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

const ABOVE_SHARED = {
  group: [
    '**/functions/**',
    '**/infra/**',
    '**/local/**',
    '**/cli/**',
    'aws-cdk-lib',
    'aws-cdk-lib/*',
    'constructs',
  ],
  message: 'shared/ is the domain core: it never imports handlers, CDK, the local stack or the CLI',
};
const PURE = {
  group: [
    '@aws-sdk/*',
    '**/store',
    '**/store/**',
    '**/api/**',
    '**/rotation/**',
    '**/schedules/**',
    '**/events/**',
    '**/alerts/**',
  ],
  message: 'token/, authz/ and gateway/ are pure rules: no AWS SDK, no layer above them',
};
const ABOVE_STORE = {
  group: [
    '**/api/**',
    '**/rotation/**',
    '**/schedules/**',
    '**/events/**',
    '**/alerts/**',
    '**/authz/**',
  ],
  message: 'the store knows tokens and DynamoDB, not the use cases above it',
};

/** One `no-restricted-imports` rule per layer (a later entry replaces an earlier one). */
function restrictImports(files, patterns) {
  return { files, rules: { 'no-restricted-imports': ['error', { patterns }] } };
}

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'cdk.out/',
      '.build/',
      '.venv/',
      '.venv-tools/',
      '.venv-schemathesis/',
      '.local-data/',
      'coverage/',
      'dist/',
      // The packed-library test's consumer apps: typechecked against the installed package there.
      'test/package/fixtures/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-non-null-assertion': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
    },
  },
  {
    // Product code never asserts a type: data from events, env and DynamoDB is parsed.
    files: ['shared/**/*.ts', 'functions/**/*.ts'],
    rules: {
      '@typescript-eslint/consistent-type-assertions': ['error', { assertionStyle: 'never' }],
    },
  },
  // The import rules of docs/architecture.md: each layer imports only the layers below it.
  restrictImports(['shared/**/*.ts'], [ABOVE_SHARED]),
  restrictImports(
    ['shared/token/**/*.ts', 'shared/authz/**/*.ts', 'shared/gateway/**/*.ts'],
    [ABOVE_SHARED, PURE],
  ),
  restrictImports(['shared/store/**/*.ts'], [ABOVE_SHARED, ABOVE_STORE]),
  restrictImports(
    ['functions/**/*.ts'],
    [
      {
        group: ['**/infra/**', '**/local/**', '**/cli/**'],
        message: 'handlers import shared/ only',
      },
    ],
  ),
  restrictImports(
    ['infra/**/*.ts'],
    [
      {
        group: ['**/local/**', '**/cli/**'],
        message: 'the CDK app never imports the local stack or the CLI',
      },
    ],
  ),
  restrictImports(
    ['client/**/*.ts'],
    [
      {
        group: ['**/infra/**', '**/local/**', '**/cli/**', '**/functions/**', '**/shared/store/**'],
        message: 'the client imports only the API contract (shared/api/responses, schemas)',
      },
      {
        group: ['**/shared/api/routes', '**/shared/api/router', '**/shared/api/use-cases/**'],
        message: 'the server side of the API stays out of the client',
      },
    ],
  ),
  { files: ['**/*.js'], ...tseslint.configs.disableTypeChecked },
  prettier,
);
