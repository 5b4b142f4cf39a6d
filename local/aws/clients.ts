/**
 * SDK clients pointed at the emulators: DynamoDB (and its streams) on DynamoDB Local, and
 * Secrets Manager, SNS, SQS and EventBridge on moto, all with the emulators' fake credentials.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';

/** Fake credentials and region: the emulator accepts any, the SDK insists on some. */
export const LOCAL_AWS_ENV = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
} as const;

/** SDK client settings for an emulator at `endpoint`: its region and fake credentials. */
export function localClientConfig(endpoint: string) {
  return {
    endpoint,
    region: LOCAL_AWS_ENV.AWS_REGION,
    credentials: {
      accessKeyId: LOCAL_AWS_ENV.AWS_ACCESS_KEY_ID,
      secretAccessKey: LOCAL_AWS_ENV.AWS_SECRET_ACCESS_KEY,
    },
  };
}

/** A DynamoDB client on DynamoDB Local at `endpoint`. */
export function localDynamoClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient(localClientConfig(endpoint));
}

/** A DynamoDB Streams client on DynamoDB Local at `endpoint`. */
export function localStreamsClient(endpoint: string): DynamoDBStreamsClient {
  return new DynamoDBStreamsClient(localClientConfig(endpoint));
}

/** An SNS client on moto at `endpoint`. */
export function localSnsClient(endpoint: string): SNSClient {
  return new SNSClient(localClientConfig(endpoint));
}

/** An SQS client on moto at `endpoint`. */
export function localSqsClient(endpoint: string): SQSClient {
  return new SQSClient(localClientConfig(endpoint));
}

/** An EventBridge client on moto at `endpoint`. */
export function localEventBridgeClient(endpoint: string): EventBridgeClient {
  return new EventBridgeClient(localClientConfig(endpoint));
}

/** A Secrets Manager client on moto at `endpoint`. */
export function localSecretsClient(endpoint: string): SecretsManagerClient {
  return new SecretsManagerClient(localClientConfig(endpoint));
}

/** Every client the local stack itself uses, on one DynamoDB Local and one moto. */
export interface LocalClients {
  readonly dynamo: DynamoDBClient;
  readonly streams: DynamoDBStreamsClient;
  readonly sns: SNSClient;
  readonly sqs: SQSClient;
  readonly eventBridge: EventBridgeClient;
  readonly secrets: SecretsManagerClient;
  /** Close them all. */
  destroy(): void;
}

/** The stack's clients on DynamoDB Local at `dynamoEndpoint` and moto at `motoEndpoint`. */
export function openLocalClients(dynamoEndpoint: string, motoEndpoint: string): LocalClients {
  const clients = {
    dynamo: localDynamoClient(dynamoEndpoint),
    sns: localSnsClient(motoEndpoint),
    secrets: localSecretsClient(motoEndpoint),
    sqs: localSqsClient(motoEndpoint),
    eventBridge: localEventBridgeClient(motoEndpoint),
    streams: localStreamsClient(dynamoEndpoint),
  };
  return {
    ...clients,
    destroy: () => {
      for (const client of Object.values(clients)) client.destroy();
    },
  };
}
