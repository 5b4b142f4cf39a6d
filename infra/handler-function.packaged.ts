/**
 * handler-function.ts as the packaged library builds it (scripts/build-lib.ts): each handler
 * comes prebundled in the package, dist/assets/<name>/index.js, named after its functions/
 * module. Not used in this repository, where the functions bundle from source.
 */
import { Code, Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { basename, join } from 'node:path';
import type { handlerFunction as bundledFromSource } from './handler-function';

/**
 * The package's dist/assets, beside the dist/esm and dist/cjs builds this module is bundled
 * into. The CommonJS build defines `import.meta.dirname` as `__dirname`.
 */
const ASSETS = join(import.meta.dirname, '..', 'assets');

export const handlerFunction: typeof bundledFromSource = (scope, id, props) => {
  const { entry, handler, ...options } = props;
  return new LambdaFunction(scope, id, {
    ...options,
    code: Code.fromAsset(join(ASSETS, basename(entry, '.ts'))),
    handler: `index.${handler}`,
  });
};
