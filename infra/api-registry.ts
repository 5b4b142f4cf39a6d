import { Duration } from 'aws-cdk-lib';
import { AccountPrincipal } from 'aws-cdk-lib/aws-iam';
import { Alias } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { join } from 'node:path';
import { checkedConsumerAccounts } from './consumer-accounts';
import { ServiceFunction } from './service-function';
import type { TokenTables } from './token-tables';

/**
 * What a consumer authorizer needs of the platform's registry: the ServiceToken of its
 * registration custom resource. `ApiRegistry` in the platform's stack, or
 * `ApiRegistry.fromArn(…)` (the platform's ApiRegistryServiceToken output) anywhere else.
 */
export interface ApiRegistryAccess {
  /**
   * The ARN to register with: the provider function in the platform's account, or in a
   * consumer account the alias made for it (the ApiRegistryServiceToken<account> output).
   */
  readonly serviceToken: string;
}

export interface ApiRegistryProps {
  /** The platform's tables: the provider writes the registry table, nothing else. */
  readonly tables: TokenTables;
  /**
   * AWS accounts whose stacks may register their APIs: the provider's resource policy lets
   * them invoke it (CloudFormation calls it with the deploying principal of that account).
   * @default - the tables' `consumerAccounts`
   */
  readonly consumerAccounts?: readonly string[];
}

/**
 * The platform's registry of protected APIs, as CloudFormation writes it: the provider of the
 * `Custom::ServiceTokensApiRegistration` resource every consumer authorizer creates
 * (functions/api-registry.ts). It may only put and delete registry items; consumer accounts
 * may invoke it, each by a permission of its own.
 */
export class ApiRegistry extends Construct implements ApiRegistryAccess {
  /** A registry of another stack or account, by the provider's ARN. */
  static fromArn(serviceToken: string): ApiRegistryAccess {
    return { serviceToken };
  }

  readonly provider: ServiceFunction;
  readonly serviceToken: string;

  constructor(scope: Construct, id: string, props: ApiRegistryProps) {
    super(scope, id);
    this.provider = new ServiceFunction(this, 'Provider', {
      entry: join(import.meta.dirname, '../functions/api-registry.ts'),
      description: 'Registers the APIs that consumer authorizers protect (custom resource)',
      timeout: Duration.seconds(30),
      environment: {
        REGISTRY_TABLE_NAME: props.tables.registry.tableName,
        POWERTOOLS_LOG_LEVEL: 'INFO',
      },
    });
    props.tables.grantRegistryWrite(this.provider.role);
    const accounts = checkedConsumerAccounts(
      this.node.path,
      props.consumerAccounts ?? props.tables.consumerAccounts,
    );
    // Each consumer account invokes an alias of its own, and only that: the provider reads
    // the caller's account from the alias it was invoked by (callerAccount), never from the
    // request, so an account can register and remove its own APIs only.
    for (const account of accounts) {
      const alias = new Alias(this, `Consumer${account}`, {
        aliasName: `consumer-${account}`,
        version: this.provider.function.currentVersion,
      });
      alias.addPermission('Invoke', {
        principal: new AccountPrincipal(account),
        action: 'lambda:InvokeFunction',
      });
      this.consumerTokens.set(account, alias.functionArn);
    }
    this.serviceToken = this.provider.function.functionArn;
  }

  /**
   * The ServiceToken a consumer account's authorizers register with: its own alias of the
   * provider (`ApiRegistry.fromArn(…)` in that account). Throws for an account not listed.
   */
  serviceTokenFor(account: string): string {
    const token = this.consumerTokens.get(account);
    if (token === undefined) {
      throw new Error(
        `${this.node.path}: ${account} is not a consumer account; list it in consumerAccounts`,
      );
    }
    return token;
  }

  /** The alias ARN of each consumer account. */
  get consumerServiceTokens(): ReadonlyMap<string, string> {
    return this.consumerTokens;
  }

  private readonly consumerTokens = new Map<string, string>();
}
