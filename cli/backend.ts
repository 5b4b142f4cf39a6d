/**
 * What the CLI's commands call: the management API's operations by operationId, either over
 * HTTPS with the team's own token (the default), or for break-glass (`--direct`) in-process
 * on the tables, through the very routes the API serves (same validation, same use cases),
 * acting as the caller's IAM identity. A command cannot tell them apart, so the two paths
 * cannot drift.
 */
import { randomUUID } from 'node:crypto';
import { transportOf } from '../client/client';
import { call, type CallInput } from '../client/http';
import { responseSchema, type AnswerOf, type OperationId } from '../client/operations';
import type { ProxyEvent } from '../shared/api/http';
import { ROUTES } from '../shared/api/routes';
import type { Caller } from '../shared/api/access';
import type { TokenService } from '../shared/api/token-service';
import type { Credentials } from './credentials';

export interface Backend {
  /** Run `operation` as the API would; refusals throw (ServiceTokensError, or ApiError…). */
  call<O extends OperationId>(operation: O, input?: CallInput): Promise<AnswerOf<O>>;
}

/** The API over HTTPS, with the typed client's transport (its retries of 429, and of reads on 503). */
export function remoteBackend(credentials: Credentials, fetch?: typeof globalThis.fetch): Backend {
  const transport = transportOf({
    baseUrl: credentials.apiUrl,
    token: credentials.token,
    ...(fetch === undefined ? {} : { fetch }),
  });
  return { call: (operation, input = {}) => call(transport, operation, input) };
}

/**
 * The routes served in-process to an operator: the request is built as API Gateway would
 * build it, so each route validates its path, query and body exactly as over HTTP, and the
 * answer is checked against the same response schema the client checks.
 */
export function directBackend(service: TokenService, caller: Caller): Backend {
  return {
    call: async (operation, input = {}) => {
      const route = ROUTES.find((r) => r.operationId === operation);
      if (route === undefined || route.public === true) {
        throw new TypeError(`${operation} is not served to an operator`);
      }
      const answer = await route.serve(service, caller, proxyEvent(route, input));
      // Through JSON, as the API sends it: Dates and undefined fields as a client sees them.
      return responseSchema(operation).parse(JSON.parse(JSON.stringify(answer)));
    },
  };
}

function proxyEvent(
  route: { readonly method: string; readonly path: string },
  input: CallInput,
): ProxyEvent {
  const query = Object.entries(input.query ?? {}).flatMap(([name, value]) =>
    value === undefined ? [] : [[name, String(value)] as const],
  );
  return {
    httpMethod: route.method,
    resource: route.path,
    headers: input.body === undefined ? {} : { 'content-type': 'application/json' },
    pathParameters: input.params === undefined ? null : { ...input.params },
    queryStringParameters: query.length === 0 ? null : Object.fromEntries(query),
    body: input.body === undefined ? null : JSON.stringify(input.body),
    requestContext: { requestId: randomUUID() },
  };
}
