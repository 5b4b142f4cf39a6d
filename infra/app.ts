import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ServiceTokensStack } from './service-tokens-stack';

/** Build the CDK app; cdk-nag's AwsSolutions pack validates it on every synth. */
export function buildApp(app: App = new App()): { app: App; stack: ServiceTokensStack } {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  const context = (key: string): string | undefined => {
    const value: unknown = app.node.tryGetContext(key);
    return typeof value === 'string' ? value : undefined;
  };
  const stack = new ServiceTokensStack(app, context('stackName') ?? 'ServiceTokens', {
    tokenPrefix: context('tokenPrefix'),
    retainData: context('retainData') !== 'false',
    env: { account: process.env['CDK_DEFAULT_ACCOUNT'], region: process.env['CDK_DEFAULT_REGION'] },
  });
  return { app, stack };
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  buildApp().app.synth();
}
