/**
 * How a ServiceFunction gets its code. In this repository: bundled by esbuild from its
 * functions/*.ts module at every synth (NodejsFunction), so a deploy always runs the current
 * sources. The packaged library replaces this module with handler-function.packaged.ts
 * (scripts/build-lib.ts swaps the import at build time), where the same handlers come
 * prebundled with HANDLER_BUNDLING: a consumer needs neither these sources nor esbuild.
 */
import type { Function as LambdaFunction, FunctionOptions, Runtime } from 'aws-cdk-lib/aws-lambda';
import {
  NodejsFunction,
  OutputFormat,
  SourceMapMode,
  type BundlingOptions,
} from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Construct } from 'constructs';

/** What a handler function is built from, whichever way its code comes. */
export interface HandlerFunctionProps extends FunctionOptions {
  /** Path of the handler module, functions/<name>.ts; its bundle is asset `<name>`. */
  readonly entry: string;
  /** The module's exported handler. */
  readonly handler: string;
  readonly runtime: Runtime;
}

/**
 * The one esbuild configuration of the handlers: minified CommonJS for Node 24 with external
 * source maps and the AWS SDK inside (see ServiceFunction). scripts/build-lib.ts prebundles the
 * package's assets with exactly these options.
 */
export const HANDLER_BUNDLING = {
  minify: true,
  sourceMap: true,
  sourceMapMode: SourceMapMode.EXTERNAL,
  sourcesContent: false,
  target: 'node24',
  format: OutputFormat.CJS,
  bundleAwsSDK: true,
} as const satisfies BundlingOptions;

export function handlerFunction(
  scope: Construct,
  id: string,
  props: HandlerFunctionProps,
): LambdaFunction {
  return new NodejsFunction(scope, id, { ...props, bundling: HANDLER_BUNDLING });
}
