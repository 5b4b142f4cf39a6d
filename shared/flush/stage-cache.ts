/**
 * API Gateway's authorizer cache flush, per kind of API: FlushStageAuthorizersCache for REST
 * APIs, ResetAuthorizersCache (apigatewayv2) for HTTP APIs. Errors become outcomes: a stage
 * or API that is gone (NotFound) has nothing cached, TooManyRequests is retried later, the
 * rest fails the flush with its message.
 */
import {
  APIGatewayClient,
  FlushStageAuthorizersCacheCommand,
  NotFoundException as RestNotFound,
  TooManyRequestsException as RestTooManyRequests,
} from '@aws-sdk/client-api-gateway';
import {
  ApiGatewayV2Client,
  NotFoundException as HttpNotFound,
  ResetAuthorizersCacheCommand,
  TooManyRequestsException as HttpTooManyRequests,
} from '@aws-sdk/client-apigatewayv2';
import type { FlushOutcome, StageCache } from './flush-stages';
import type { ProtectedStage } from './stages';

/** The two clients of one region. */
export interface RegionClients {
  readonly rest: APIGatewayClient;
  readonly http: ApiGatewayV2Client;
}

/** Clients per region, made on first use (a registered stage may live in another region). */
export function clientsPerRegion(): (region: string) => RegionClients {
  const clients = new Map<string, RegionClients>();
  return (region) => {
    let pair = clients.get(region);
    if (pair === undefined) {
      pair = { rest: new APIGatewayClient({ region }), http: new ApiGatewayV2Client({ region }) };
      clients.set(region, pair);
    }
    return pair;
  };
}

export function flushOutcome(error: unknown): FlushOutcome {
  if (error instanceof RestNotFound || error instanceof HttpNotFound) return { kind: 'gone' };
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  if (error instanceof RestTooManyRequests || error instanceof HttpTooManyRequests) {
    return { kind: 'throttled', error: message };
  }
  return { kind: 'failed', error: message };
}

export class ApiGatewayStageCache implements StageCache {
  constructor(private readonly clientsFor: (region: string) => RegionClients) {}

  async flush(stage: ProtectedStage): Promise<FlushOutcome> {
    const clients = this.clientsFor(stage.region);
    try {
      if (stage.kind === 'rest') {
        await clients.rest.send(
          new FlushStageAuthorizersCacheCommand({
            restApiId: stage.apiId,
            stageName: stage.stage,
          }),
        );
      } else {
        await clients.http.send(
          new ResetAuthorizersCacheCommand({ ApiId: stage.apiId, StageName: stage.stage }),
        );
      }
      return { kind: 'flushed' };
    } catch (error) {
      return flushOutcome(error);
    }
  }
}
