import { Duration, Stack, Validations } from 'aws-cdk-lib';
import {
  LambdaIntegration,
  RequestValidator,
  TokenAuthorizer,
  type RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { join } from 'node:path';
import { MANAGEMENT_ROUTES, PUBLIC_ROUTES } from '../shared/api/routes';
import { catalogConflicts, invalidRouteScopes, type Route } from '../shared/authz/routes';
import { TOKEN_INDEX } from '../shared/store/schema';
import { DEFAULT_TOKEN_PREFIX } from '../shared/token/format';
import { SCOPE_RULE } from '../shared/token/scope';
import { CatalogMethods } from './api-methods';
import { addGatewayResponses, tokenRestApi } from './rest-api';
import { restTokenAuthorizer, tokenAuthorizerFunction } from './authorizer-function';
import { ServiceFunction } from './service-function';
import {
  policiesEnvironment,
  retentionDays,
  type TokenRetentionProps,
  type TokenTables,
} from './token-tables';
import type { RotationPolicies } from '../shared/token/rotation-policy';

export interface TokenApiProps extends TokenRetentionProps {
  /** The tables the authorizer reads tokens from and the management API manages. */
  readonly tables: TokenTables;
  /**
   * Prefix of the tokens the API issues and the authorizer accepts.
   * @default 'sk_'
   */
  readonly tokenPrefix?: string;
  /**
   * API Gateway's per-token policy cache (0 to 3600 seconds). Bounds how long a revoked token
   * still passes.
   * @default Duration.seconds(300)
   */
  readonly authorizerCacheTtl?: Duration;
  /**
   * The authorizer's in-process record cache (whole seconds, 0 = off); adds to the revocation
   * bound.
   * @default Duration.seconds(0)
   */
  readonly localCacheTtl?: Duration;
  /**
   * The stage the API is deployed to.
   * @default 'v1'
   */
  readonly stageName?: string;
  /**
   * A regional WAFv2 web ACL to associate with the stage.
   * @default - no web ACL
   */
  readonly webAclArn?: string;
  /**
   * The deployment's rotation policies (already validated): new tokens' due-index dates follow
   * them.
   * @default - the functions' default: 90 days, 30 under heavy use
   */
  readonly rotationPolicies?: RotationPolicies;
}

/** The management API's routes, checked: valid scopes, no ambiguous route. */
function checkedCatalog(): readonly Route[] {
  const catalog = MANAGEMENT_ROUTES;
  const invalid = invalidRouteScopes(catalog);
  if (invalid.length > 0) {
    throw new Error(
      `The route catalog names invalid scopes: ${invalid.join('; ')}; a scope ${SCOPE_RULE}`,
    );
  }
  const conflicts = catalogConflicts(catalog);
  if (conflicts.length > 0) {
    throw new Error(`The route catalog is ambiguous: ${conflicts.join('; ')}`);
  }
  return catalog;
}

/**
 * The platform's REST API: the management API, with the token authorizer in front of every
 * route but the public bootstrap exchange and /health. Teams' own backends live on their own
 * APIs, behind the consumer authorizers (infra/consumer/).
 */
export class TokenApi extends Construct {
  readonly api: RestApi;
  readonly authorizerFunction: ServiceFunction;
  readonly authorizer: TokenAuthorizer;
  readonly managementFunction: ServiceFunction;
  /** Every route behind the authorizer: the management API's. */
  readonly catalog: readonly Route[];

  constructor(scope: Construct, id: string, props: TokenApiProps) {
    super(scope, id);
    const prefix = props.tokenPrefix ?? DEFAULT_TOKEN_PREFIX;
    const stageName = props.stageName ?? 'v1';
    this.catalog = checkedCatalog();
    this.authorizerFunction = tokenAuthorizerFunction(this, 'Authorizer', {
      tables: props.tables,
      prefix,
      routeScopes: JSON.stringify(this.catalog),
      ...(props.localCacheTtl === undefined ? {} : { localCacheTtl: props.localCacheTtl }),
      description: 'Validates sk_ service tokens for API Gateway',
    });
    this.api = tokenRestApi(this, stageName);
    this.authorizer = restTokenAuthorizer(
      this,
      'TokenAuthorizer',
      this.authorizerFunction,
      prefix,
      props.authorizerCacheTtl,
    );
    const validator = new RequestValidator(this, 'Validator', {
      restApi: this.api,
      validateRequestParameters: true,
      validateRequestBody: true,
    });
    this.managementFunction = this.managementApi(props, prefix, stageName);
    const methods = new CatalogMethods(this.api, this.authorizer, validator);
    const management = new LambdaIntegration(this.managementFunction.function);
    for (const route of MANAGEMENT_ROUTES) methods.addAuthorized(route, management);
    for (const route of PUBLIC_ROUTES) methods.addPublic(route, management);
    methods.addHealth();
    addGatewayResponses(this.api);
    this.protect(props.webAclArn);
  }

  /**
   * The management API's function. It reads and writes token items (conditional transactions),
   * queries the token indexes, appends and reads audit events, queries the API registry, and
   * may flush this stage's authorizer cache.
   */
  private managementApi(props: TokenApiProps, prefix: string, stageName: string): ServiceFunction {
    const fn = new ServiceFunction(this, 'Management', {
      entry: join(import.meta.dirname, '../functions/management-api.ts'),
      description: 'Serves the service-token management API',
      timeout: Duration.seconds(29),
      environment: {
        TOKENS_TABLE_NAME: props.tables.tokens.tableName,
        AUDIT_TABLE_NAME: props.tables.audit.tableName,
        REGISTRY_TABLE_NAME: props.tables.registry.tableName,
        TOKEN_PREFIX: prefix,
        RETENTION_DAYS: retentionDays(props),
        REST_API_ID: this.api.restApiId,
        STAGE_NAME: stageName,
        ...policiesEnvironment(props.rotationPolicies),
        POWERTOOLS_LOG_LEVEL: 'INFO',
      },
    });
    // Not BySecret: only the rotation function's sweep reads it; not ByPolicyDue: the alert run's.
    const indexes = Object.values(TOKEN_INDEX).filter(
      (index) => index !== TOKEN_INDEX.bySecret && index !== TOKEN_INDEX.byPolicyDue,
    );
    props.tables.grantTokenReadWrite(fn.role, indexes);
    props.tables.grantAuditAppend(fn.role);
    props.tables.grantAuditRead(fn.role);
    props.tables.grantRegistryRead(fn.role);
    const { region, partition } = Stack.of(this);
    fn.role.addToPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['apigateway:DELETE'],
        resources: [
          `arn:${partition}:apigateway:${region}::/restapis/${this.api.restApiId}/stages/${stageName}/cache/authorizers`,
        ],
      }),
    );
    return fn;
  }

  /** Associate the web ACL, or tell cdk-nag why there is none; the authorizer is not Cognito. */
  private protect(webAclArn: string | undefined): void {
    if (webAclArn !== undefined) {
      new CfnWebACLAssociation(this, 'WebAcl', {
        resourceArn: this.api.deploymentStage.stageArn,
        webAclArn,
      });
    } else {
      Validations.of(this.api).acknowledge({
        id: 'AwsSolutions-APIG3',
        reason: 'WAF is a per-deployment choice: pass webAclArn to associate a web ACL.',
      });
    }
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-COG4',
      reason: 'Machine clients authenticate with service tokens via the Lambda token authorizer.',
    });
  }
}
