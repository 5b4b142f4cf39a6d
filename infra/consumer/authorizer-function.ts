import { Duration } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { DEFAULT_TOKEN_PREFIX, TOKEN_PREFIX_PATTERN } from '../../shared/token/format';
import { DEFAULT_AUTHORIZER_CACHE_TTL, tokenAuthorizerFunction } from '../authorizer-function';
import type { ServiceFunction } from '../service-function';
import type { TokenTableAccess } from '../token-table-access';
import { ProtectedCatalog } from './protected-catalog';

/** Props every consumer authorizer takes: the platform's tables and the caches. */
export interface ConsumerAuthorizerProps {
  /**
   * The platform's token table: the authorizer reads tokens there and records their use.
   * `TokenTables` in the platform's account, `TokenTables.fromArns(…)` in another.
   */
  readonly tables: TokenTableAccess;
  /**
   * Prefix of the tokens the platform issues.
   * @default 'sk_'
   */
  readonly prefix?: string;
  /**
   * API Gateway's authorizer result cache (0 to 3600 seconds). Bounds how long a revoked token
   * still passes on this API.
   * @default Duration.minutes(5)
   */
  readonly cacheTtl?: Duration;
  /**
   * The authorizer's in-process record cache (whole seconds, 0 = off); adds to the revocation
   * bound.
   * @default Duration.seconds(0)
   */
  readonly localCacheTtl?: Duration;
}

/** The default of `cacheTtl`, as on the platform's own API. */
export const DEFAULT_CACHE_TTL = DEFAULT_AUTHORIZER_CACHE_TTL;

/**
 * A consumer API's own authorizer function and the catalog it enforces: the platform's
 * functions/authorizer.ts, with this API's ROUTE_SCOPES, granted only the authorizer's read
 * and usage write on the token table (the key through DynamoDB).
 */
export class ConsumerAuthorizerFunction extends Construct {
  readonly function: ServiceFunction;
  readonly catalog: ProtectedCatalog;

  constructor(scope: Construct, id: string, props: ConsumerAuthorizerProps, apiKind: string) {
    super(scope, id);
    const prefix = props.prefix ?? DEFAULT_TOKEN_PREFIX;
    if (!TOKEN_PREFIX_PATTERN.test(prefix)) {
      throw new Error(
        `${scope.node.path}: prefix "${prefix}" must be lowercase letters/digits ending in "_", e.g. "sk_", as the platform's TOKEN_PREFIX`,
      );
    }
    this.catalog = new ProtectedCatalog(scope.node.path);
    this.node.addValidation({ validate: () => this.catalog.validate() });
    this.function = tokenAuthorizerFunction(this, 'Authorizer', {
      tables: props.tables,
      prefix,
      routeScopes: this.catalog.toEnvironment(),
      ...(props.localCacheTtl === undefined ? {} : { localCacheTtl: props.localCacheTtl }),
      description: `Validates ${prefix} service tokens for a consumer ${apiKind}`,
    });
  }
}
