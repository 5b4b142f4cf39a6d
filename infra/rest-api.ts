import {
  AccessLogField,
  AccessLogFormat,
  EndpointType,
  LogGroupLogDestination,
  MethodLoggingLevel,
  ResponseType,
  RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { PUBLIC_ROUTES } from '../shared/api/routes';
import { LEAK_ROUTES } from '../shared/leaks/routes';
import { GATEWAY_REPLIES, type GatewayReply } from '../shared/gateway/contract';

/** Requests per second (and burst) a route without the authorizer accepts, stage-wide. */
export const PUBLIC_ROUTE_RATE = 5;
export const PUBLIC_ROUTE_BURST = 10;

/**
 * One JSON line per request. `authorizerRequestId` is the authorizer invocation's Lambda
 * request id (`function_request_id` in its logs), the only link from a request to its
 * decision: TOKEN authorizer events carry no API request id. `principalId` is the token id.
 */
const ACCESS_LOG_FORMAT = AccessLogFormat.custom(
  JSON.stringify({
    requestId: AccessLogField.contextRequestId(),
    ip: AccessLogField.contextIdentitySourceIp(),
    requestTime: AccessLogField.contextRequestTime(),
    httpMethod: AccessLogField.contextHttpMethod(),
    resourcePath: AccessLogField.contextResourcePath(),
    status: AccessLogField.contextStatus(),
    protocol: AccessLogField.contextProtocol(),
    responseLength: AccessLogField.contextResponseLength(),
    principalId: AccessLogField.contextAuthorizerPrincipalId(),
    authorizerRequestId: AccessLogField.contextAuthorizerRequestId(),
    authorizerStatus: AccessLogField.contextAuthorizerStatus(),
    authorizerLatency: AccessLogField.contextAuthorizerLatency(),
    integrationLatency: AccessLogField.contextIntegrationLatency(),
    errorMessage: AccessLogField.contextErrorMessageString(),
  }),
);

/**
 * The regional REST API (`Api`, with its `AccessLogs` log group, both in `scope`) and its one
 * stage: X-Ray tracing, metrics, error logs and JSON access logs; the routes without the
 * authorizer (the bootstrap exchange, the leak intake) get a tight per-method throttle of their
 * own.
 */
export function tokenRestApi(scope: Construct, stageName: string): RestApi {
  const accessLogs = new LogGroup(scope, 'AccessLogs', { retention: RetentionDays.THREE_MONTHS });
  return new RestApi(scope, 'Api', {
    description: 'Service-token protected API',
    endpointTypes: [EndpointType.REGIONAL],
    cloudWatchRole: false,
    deployOptions: {
      stageName,
      tracingEnabled: true,
      metricsEnabled: true,
      loggingLevel: MethodLoggingLevel.ERROR,
      accessLogDestination: new LogGroupLogDestination(accessLogs),
      accessLogFormat: ACCESS_LOG_FORMAT,
      methodOptions: Object.fromEntries(
        [...PUBLIC_ROUTES, ...Object.values(LEAK_ROUTES)].map((route) => [
          `${route.path}/${route.method}`,
          {
            throttlingRateLimit: PUBLIC_ROUTE_RATE,
            throttlingBurstLimit: PUBLIC_ROUTE_BURST,
            metricsEnabled: true,
            loggingLevel: MethodLoggingLevel.ERROR,
          },
        ]),
      ),
    },
  });
}

/**
 * The replies API Gateway gives itself, before any integration runs, as the contract says
 * (shared/gateway/contract.ts; the local gateway gives the same).
 */
export function addGatewayResponses(api: RestApi): void {
  const reply = (id: string, type: ResponseType, gateway: GatewayReply) => {
    const headers = Object.entries(gateway.headers ?? {});
    api.addGatewayResponse(id, {
      type,
      statusCode: String(gateway.status),
      ...(headers.length === 0
        ? {}
        : { responseHeaders: Object.fromEntries(headers.map(([k, v]) => [k, `'${v}'`])) }),
      templates: { 'application/json': JSON.stringify({ message: gateway.message }) },
    });
  };
  reply('Unauthorized', ResponseType.UNAUTHORIZED, GATEWAY_REPLIES.unauthorized);
  reply('AccessDenied', ResponseType.ACCESS_DENIED, GATEWAY_REPLIES.accessDenied);
  // The authorizer failed (e.g. the token table was unreachable): fail closed, say so, and
  // let the client retry. API Gateway does not cache this outcome.
  for (const type of [
    ResponseType.AUTHORIZER_FAILURE,
    ResponseType.AUTHORIZER_CONFIGURATION_ERROR,
  ]) {
    reply(type.responseType, type, GATEWAY_REPLIES.authorizerFailure);
  }
  reply('NoRoute', ResponseType.MISSING_AUTHENTICATION_TOKEN, GATEWAY_REPLIES.noRoute);
}
