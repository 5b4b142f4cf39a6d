/**
 * Serve one API Gateway REST proxy event: match the route, re-check the caller, run the
 * operation, and answer every failure through the one error map (./errors.ts).
 */
import { headerValue } from '../headers';
import type { Caller } from './access';
import { failureOf } from './errors';
import {
  callerOf,
  errorResponse,
  json,
  proxyEventSchema,
  rawParameterProblem,
  type HttpResponse,
} from './http';
import { ROUTES } from './routes';
import type { TokenService } from './token-service';

export interface RouteOutcome {
  readonly response: HttpResponse;
  /** For logs and metrics: `POST /tokens`, or `unmatched`. */
  readonly route: string;
  /** An unexpected failure (a 5xx); never sent to the client. */
  readonly error?: unknown;
  /** API Gateway's request id: the correlation id of the request's log lines. */
  readonly requestId?: string;
}

/** Serve one API Gateway REST proxy event. Never throws; unexpected errors become a 500. */
export async function handleRequest(event: unknown, service: TokenService): Promise<RouteOutcome> {
  const parsed = proxyEventSchema.safeParse(event);
  if (!parsed.success) {
    return { route: 'unmatched', response: errorResponse(400, 'Not an API Gateway request') };
  }
  const request = parsed.data;
  const requestId = request.requestContext.requestId;
  const rawProblem = rawParameterProblem(event);
  if (rawProblem !== undefined) {
    return { route: 'unmatched', requestId, response: errorResponse(400, rawProblem) };
  }
  const route = ROUTES.find((r) => r.method === request.httpMethod && r.path === request.resource);
  if (route === undefined) {
    return { route: 'unmatched', requestId, response: errorResponse(404, 'No such route') };
  }
  const name = `${route.method} ${route.path}`;
  const caller =
    route.public === true ? anonymous(request.requestContext.requestId) : callerOf(request);
  if (caller === undefined) {
    return { route: name, requestId, response: errorResponse(401, 'Unauthorized') };
  }
  try {
    // Every route behind the authorizer re-checks its caller first: a cached Allow policy is
    // not proof that the token is still valid, nor current.
    const acting =
      route.public === true
        ? caller
        : await service.session.authenticate(
            caller,
            headerValue(request.headers, 'authorization'),
            route.method === 'GET' ? 'read' : 'write',
          );
    const result = await route.serve(service, acting, request);
    return { route: name, requestId, response: json(route.status, result) };
  } catch (error) {
    return { route: name, requestId, ...failure(error) };
  }
}

/** The caller of a public route: nobody yet; the operation authenticates the request. */
function anonymous(requestId: string): Caller {
  return { tokenId: 'anonymous', owner: '', scopes: [], requestId };
}

function failure(error: unknown): { response: HttpResponse; error?: unknown } {
  const failed = failureOf(error);
  const response = errorResponse(failed.status, failed.publicMessage, { ...failed.headers });
  return failed.unexpected ? { response, error } : { response };
}
