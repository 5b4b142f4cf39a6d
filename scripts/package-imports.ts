/** Which package an import names, and the build's rule that the library imports only its own. */
import { isBuiltin } from 'node:module';

/** `aws-cdk-lib/aws-iam` → `aws-cdk-lib`, `@scope/name/sub` → `@scope/name`; null for Node's own. */
export function packageOf(specifier: string): string | null {
  if (isBuiltin(specifier)) return null;
  const parts = specifier.split('/');
  return (specifier.startsWith('@') ? parts.slice(0, 2) : parts.slice(0, 1)).join('/');
}

/** Fails the build on an import a consumer's install cannot resolve. */
export function checkImports(where: string, specifiers: Iterable<string>, allowed: Set<string>) {
  const missing = [...specifiers].filter((specifier) => {
    const name = packageOf(specifier);
    return name !== null && !allowed.has(name);
  });
  if (missing.length > 0) {
    throw new Error(
      `${where} imports ${[...new Set(missing)].join(', ')}: not a dependency or peer dependency in package.json`,
    );
  }
}
