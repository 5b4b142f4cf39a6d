/**
 * The token authorizer as every API gets it, the platform's own and each consumer's: the
 * functions/authorizer.ts function with one API's catalog, granted only the authorizer's read
 * and usage write on the token table, and the REST TOKEN authorizer in front of it.
 */
import { Duration } from 'aws-cdk-lib';
import { TokenAuthorizer } from 'aws-cdk-lib/aws-apigateway';
import type { Construct } from 'constructs';
import { join } from 'node:path';
import { authorizationHeaderPattern } from '../shared/gateway/contract';
import { ServiceFunction } from './service-function';
import type { TokenTableAccess } from './token-table-access';

/** API Gateway's authorizer result cache when nobody says otherwise. */
export const DEFAULT_AUTHORIZER_CACHE_TTL = Duration.minutes(5);

export interface AuthorizerFunctionProps {
  readonly tables: TokenTableAccess;
  readonly prefix: string;
  /** The API's route catalog as the function's ROUTE_SCOPES (JSON, or a lazy token of it). */
  readonly routeScopes: string;
  readonly localCacheTtl?: Duration;
  readonly description: string;
}

export function tokenAuthorizerFunction(
  scope: Construct,
  id: string,
  props: AuthorizerFunctionProps,
): ServiceFunction {
  const authorizer = new ServiceFunction(scope, id, {
    entry: join(import.meta.dirname, '../functions/authorizer.ts'),
    description: props.description,
    // More memory buys CPU: the authorizer sits on every uncached request.
    memorySize: 1024,
    timeout: Duration.seconds(5),
    // The source map costs cold starts on every API it protects: ~10 % of the module load.
    sourceMaps: false,
    environment: {
      TOKENS_TABLE_NAME: props.tables.tokensTableName,
      TOKEN_PREFIX: props.prefix,
      ROUTE_SCOPES: props.routeScopes,
      LOCAL_CACHE_TTL_SECONDS: String((props.localCacheTtl ?? Duration.seconds(0)).toSeconds()),
      POWERTOOLS_LOG_LEVEL: 'INFO',
    },
  });
  props.tables.grantAuthorizerRead(authorizer.role);
  return authorizer;
}

/** A REST TOKEN authorizer on the Authorization header, refusing malformed ones unasked. */
export function restTokenAuthorizer(
  scope: Construct,
  id: string,
  authorizer: ServiceFunction,
  prefix: string,
  cacheTtl: Duration | undefined,
): TokenAuthorizer {
  return new TokenAuthorizer(scope, id, {
    handler: authorizer.function,
    identitySource: 'method.request.header.Authorization',
    resultsCacheTtl: cacheTtl ?? DEFAULT_AUTHORIZER_CACHE_TTL,
    validationRegex: authorizationHeaderPattern(prefix),
  });
}
