/**
 * Powertools Tracer, set up once for every function: AWS SDK calls become X-Ray subsegments,
 * and a handler's own annotations (decision, token id, route: never a token) are searchable.
 *
 * Two things are never recorded, because they can hold secrets: a handler's response (the
 * management API returns a new token's plaintext once; the rotation Lambda handles secret
 * values) and outgoing HTTPS requests (their URLs, such as CloudFormation's presigned response
 * URL, carry signatures).
 */
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';

export function newTracer(serviceName: string): Tracer {
  return new Tracer({ serviceName, captureHTTPsRequests: false });
}

/** The middy middleware: one segment per invocation, errors recorded, responses never. */
export function traceInvocations(tracer: Tracer) {
  return captureLambdaHandler(tracer, { captureResponse: false });
}
