/**
 * The example consumer as a CDK app: the platform (ServiceTokens) in one stack and the orders
 * service in another, in the same account; the orders stack takes the platform's token table
 * and API registry directly. A team with an app of its own, or in another account, passes
 * `TokenTables.fromArns({ tokensTableArn, keyArn })` (the platform stack's TokensTableArn and
 * TokensKeyArn outputs; for another account, the platform lists it in `consumerAccounts`) and
 * `ApiRegistry.fromArn(…)` (its ApiRegistryServiceToken output).
 *
 * Synthesize: `npx cdk synth --app 'npx tsx examples/consumer/app.ts'`. Imports are the
 * repository's relative paths; an app that installed the package imports from 'service-tokens'.
 */
import { App, Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ServiceTokens } from '../../infra/service-tokens';
import { OrdersStack } from './orders-stack';

export interface ExampleApp {
  readonly app: App;
  readonly platform: Stack;
  readonly serviceTokens: ServiceTokens;
  readonly orders: OrdersStack;
}

/** The two stacks, on `app`. */
export function buildExampleApp(app: App = new App()): ExampleApp {
  const platform = new Stack(app, 'TokenPlatform');
  const serviceTokens = new ServiceTokens(platform, 'Tokens', { retainData: false });
  const orders = new OrdersStack(app, 'Orders', {
    tables: serviceTokens.tables,
    registry: serviceTokens.registry,
  });
  return { app, platform, serviceTokens, orders };
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  const app = new App();
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  buildExampleApp(app).app.synth();
}
