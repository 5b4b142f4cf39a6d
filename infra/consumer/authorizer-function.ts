import { Aspects, Duration } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { DEFAULT_TOKEN_PREFIX, TOKEN_PREFIX_PATTERN } from '../../shared/token/format';
import { DEFAULT_AUTHORIZER_CACHE_TTL, tokenAuthorizerFunction } from '../authorizer-function';
import type { ServiceFunction } from '../service-function';
import { TokenLogMasking } from '../log-masking';
import type { ApiRegistryAccess } from '../api-registry';
import type { TokenTableAccess } from '../token-table-access';
import { ApiRegistration } from './api-registration';
import { ProtectedCatalog } from './protected-catalog';

/** Props every consumer authorizer takes: the platform's tables and the caches. */
export interface ConsumerAuthorizerProps {
  /**
   * The platform's token table: the authorizer reads tokens there and records their use.
   * `TokenTables` in the platform's account, `TokenTables.fromArns(…)` in another.
   */
  readonly tables: TokenTableAccess;
  /**
   * The platform's API registry: the authorizer's API, stages and catalog are registered
   * there at deploy (a custom resource), so that the platform issues tokens with this API's
   * scopes, lists the API and reaches its stages on revocation. `ApiRegistry` in the
   * platform's stack, `ApiRegistry.fromArn(…)` (its ApiRegistryServiceToken output) elsewhere.
   * Required: the platform refuses scopes no registered API knows.
   */
  readonly registry: ApiRegistryAccess;
  /**
   * The stages of the API this authorizer protects, as registered (the platform flushes their
   * caches on revocation).
   * @default - every stage the API has in this app; an imported API must name them
   */
  readonly stageNames?: readonly string[];
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

/** The API a consumer authorizer protects, once its first route is declared. */
export interface ProtectedApi {
  readonly apiId: string;
  /** The stages found on the API in this app (read at synth). */
  readonly stages: () => readonly string[];
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
  readonly registration: ApiRegistration;
  private api?: ProtectedApi;

  constructor(
    scope: Construct,
    id: string,
    props: ConsumerAuthorizerProps,
    apiKind: 'rest' | 'http',
  ) {
    super(scope, id);
    const prefix = props.prefix ?? DEFAULT_TOKEN_PREFIX;
    if (!TOKEN_PREFIX_PATTERN.test(prefix)) {
      throw new Error(
        `${scope.node.path}: prefix "${prefix}" must be lowercase letters/digits ending in "_", e.g. "sk_", as the platform's TOKEN_PREFIX`,
      );
    }
    this.catalog = new ProtectedCatalog(scope.node.path);
    const stages = () => props.stageNames ?? this.api?.stages() ?? [];
    this.node.addValidation({
      validate: () => [
        ...this.catalog.validate(),
        ...(this.api !== undefined && stages().length === 0
          ? [
              `${scope.node.path}: the API has no stage in this app: name its stages with stageNames`,
            ]
          : []),
      ],
    });
    this.registration = new ApiRegistration(this, 'Registration', {
      registry: props.registry,
      kind: apiKind,
      apiId: () => this.api?.apiId,
      stages,
      catalog: () => this.catalog.routes,
    });
    this.function = tokenAuthorizerFunction(this, 'Authorizer', {
      tables: props.tables,
      prefix,
      routeScopes: this.catalog.toEnvironment(),
      ...(props.localCacheTtl === undefined ? {} : { localCacheTtl: props.localCacheTtl }),
      description: `Validates ${prefix} service tokens for a consumer ${apiKind === 'rest' ? 'REST API' : 'HTTP API'}`,
    });
    // The function's log group is in the consumer's stack: it masks tokens too.
    Aspects.of(this).add(new TokenLogMasking(prefix));
  }

  /** The API the routes are declared on: registered with them. */
  bindApi(api: ProtectedApi): void {
    this.api ??= api;
  }
}
