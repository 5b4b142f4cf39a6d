/** How the local stack invokes a Lambda handler: the handler's shape and a context object. */
import type { Context } from 'aws-lambda';

/** A function's handler as Lambda calls it: one event and its context. */
export type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

/** A Lambda context object for invoking handlers directly. */
export function lambdaContext(
  functionName: string,
  requestId = 'req-1',
  remainingMs = 5_000,
): Context {
  return {
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => remainingMs,
    // The Context type still requires these legacy callbacks; nothing here calls them.
    /* eslint-disable @typescript-eslint/no-deprecated */
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
    /* eslint-enable @typescript-eslint/no-deprecated */
  };
}
