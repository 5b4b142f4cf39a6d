/**
 * The provider of the API registration custom resource (Custom::ServiceTokensApiRegistration):
 * each consumer authorizer's stack registers its API, stages and route catalog at deploy, and
 * removes them when the resource goes. Thin: shared/registry validates and decides, this file
 * wires the client, answers CloudFormation and logs one line per request (never a catalog).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { parseConfig, registryConfigSchema } from '../shared/config';
import type { Context } from 'aws-lambda';
import {
  callerAccount,
  customResourceEventSchema,
  registrationResponse,
} from '../shared/registry/custom-resource';
import { sendResponse } from '../shared/registry/respond';
import { openApiRegistry } from '../shared/store/api-registry';
import { newTracer, traceInvocations } from '../shared/tracing';

const config = parseConfig(registryConfigSchema);
const logger = new Logger({ serviceName: 'token-api-registry' });
const tracer = newTracer('token-api-registry');
const registry = openApiRegistry({
  client: tracer.captureAWSv3Client(new DynamoDBClient({})),
  tableName: config.REGISTRY_TABLE_NAME,
});

async function provide(event: unknown, context: Context): Promise<void> {
  const parsed = customResourceEventSchema.safeParse(event);
  if (!parsed.success) {
    // Without a valid ResponseURL there is no one to answer: fail the invocation, loudly.
    logger.error('Not a CloudFormation custom resource request', {
      issues: parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`),
    });
    throw new Error('Not a CloudFormation custom resource request');
  }
  const request = parsed.data;
  logger.setCorrelationId(request.RequestId);
  const caller = callerAccount(context.invokedFunctionArn);
  const response = await registrationResponse(request, registry, caller);
  const line = {
    requestType: request.RequestType,
    stackId: request.StackId,
    logicalId: request.LogicalResourceId,
    caller: caller ?? 'unknown',
    physicalId: response.PhysicalResourceId,
    status: response.Status,
  };
  if (response.Status === 'FAILED')
    logger.warn('Registration refused', { ...line, reason: response.Reason });
  else logger.info('Registration answered', line);
  await sendResponse(request.ResponseURL, response);
}

export const handler = middy(provide)
  .use(traceInvocations(tracer))
  .use(injectLambdaContext(logger, { resetKeys: true }));
