import { CfnOutput } from 'aws-cdk-lib';
import type { ServiceTokens } from './service-tokens';

/** The platform's CloudFormation outputs: what a client or an operator needs to find. */
export function addOutputs(stack: ServiceTokens): void {
  const outputs = {
    AlertTopicArn: stack.alerts.topic.topicArn,
    ApiUrl: stack.api.api.url,
    TokensTableName: stack.tables.tokens.tableName,
    AuditTableName: stack.tables.audit.tableName,
    ApiRegistryTableName: stack.tables.registry.tableName,
    ApiRegistryServiceToken: stack.registry.serviceToken,
    LifecycleEventBusName: stack.lifecycle.bus.eventBusName,
    LifecycleEventBusArn: stack.lifecycle.bus.eventBusArn,
    LeakWebhookSecretArn: stack.leaks.webhookSecret.secretArn,
  };
  for (const [id, value] of Object.entries(outputs)) new CfnOutput(stack, id, { value });
  if (stack.tables.consumerAccounts.length > 0) {
    new CfnOutput(stack, 'TokensTableArn', { value: stack.tables.tokens.tableArn });
    new CfnOutput(stack, 'TokensKeyArn', { value: stack.tables.key.keyArn });
    for (const [account, token] of stack.registry.consumerServiceTokens) {
      new CfnOutput(stack, `ApiRegistryServiceToken${account}`, { value: token });
    }
  }
}
