/**
 * The OpenAPI 3.1 document of the management API, generated from the same zod schemas and
 * route table the handler uses. `npm run openapi` writes it to docs/openapi.json; a test fails
 * when the committed file is stale.
 */
import * as z from 'zod/mini';
import { ROUTE_DOCS } from './routes';
import { errorBody } from './responses';

type JsonSchema = Record<string, unknown>;

function schemaOf(schema: z.ZodMiniType, io: 'input' | 'output'): JsonSchema {
  const generated: JsonSchema = { ...z.toJSONSchema(schema, { io, unrepresentable: 'any' }) };
  // The document declares its dialect once (OpenAPI 3.1 uses JSON Schema 2020-12).
  delete generated['$schema'];
  return generated;
}

const errors = {
  '400': 'The request is invalid; the message says what is wrong',
  '401': 'No valid token',
  '403': 'The token lacks a scope, or the operation is refused for it',
  '404': 'No such token (or not visible to this token)',
  '409': 'The token is not in a state that allows this',
  '410': 'Its time is up (an expired bootstrap token or rotation grant)',
  '503': 'The token store is busy; retry after Retry-After',
};

type RouteDoc = (typeof ROUTE_DOCS)[number];

/** The path parameters (their schemas from the route's params) and the query parameters. */
function parametersOf(route: RouteDoc): JsonSchema[] {
  const parameters: JsonSchema[] = [];
  for (const match of route.path.matchAll(/\{([^}]+)\}/g)) {
    const params = route.params === undefined ? undefined : schemaOf(route.params, 'input');
    const properties = z.record(z.string(), z.unknown()).parse(params?.['properties'] ?? {});
    parameters.push({
      name: match[1],
      in: 'path',
      required: true,
      schema: properties[match[1] ?? 'id'] ?? {
        type: 'string',
        pattern: '^tok_[0-9A-Za-z]{16}$',
      },
    });
  }
  if (route.query !== undefined) {
    const query = schemaOf(route.query, 'input');
    const properties = z.record(z.string(), z.unknown()).parse(query['properties'] ?? {});
    const required = z.array(z.string()).parse(query['required'] ?? []);
    for (const [name, schema] of Object.entries(properties)) {
      parameters.push({ name, in: 'query', required: required.includes(name), schema });
    }
  }
  return parameters;
}

function responsesOf(route: RouteDoc): JsonSchema {
  const responses: JsonSchema = {
    [String(route.status)]: {
      description: 'Success',
      content: { 'application/json': { schema: schemaOf(route.response, 'output') } },
    },
  };
  for (const [status, description] of Object.entries(errors)) {
    responses[status] = {
      description,
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
    };
  }
  return responses;
}

function operationOf(route: RouteDoc): JsonSchema {
  const parameters = parametersOf(route);
  return {
    summary: route.summary,
    ...(route.public
      ? { 'x-no-authorizer': true, security: [{ bootstrapToken: [] }] }
      : { 'x-required-scopes': route.scopes, security: [{ serviceToken: [] }] }),
    ...(parameters.length === 0 ? {} : { parameters }),
    ...(route.body === undefined
      ? {}
      : {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: schemaOf(route.body, 'input') } },
          },
        }),
    responses: responsesOf(route),
  };
}

/** Served by API Gateway itself (a mock integration), with no authorizer. */
const HEALTH: Record<string, JsonSchema> = {
  get: {
    summary: 'Liveness probe; needs no token',
    security: [],
    responses: {
      '200': {
        description: 'The API is up',
        content: {
          'application/json': {
            schema: {
              type: 'object',
              properties: { status: { const: 'ok' } },
              required: ['status'],
            },
          },
        },
      },
    },
  },
};

export function openApiDocument(): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of ROUTE_DOCS) {
    const item = (paths[route.path] ??= {});
    item[route.method.toLowerCase()] = operationOf(route);
  }
  paths['/health'] = HEALTH;
  return {
    openapi: '3.1.0',
    info: {
      title: 'Service-token management API',
      version: '1.0.0',
      description:
        "Create, list, rotate and revoke sk_ service tokens. Every route but POST /tokens/exchange needs a token (Authorization: Bearer sk_…) with the scopes in x-required-scopes; the admin scope grants all. POST /tokens/exchange takes a bootstrap token instead. A token without admin sees only its own owner's tokens.",
    },
    servers: [
      {
        url: 'https://{restApiId}.execute-api.{region}.amazonaws.com/v1',
        variables: { restApiId: { default: 'example' }, region: { default: 'eu-west-1' } },
      },
    ],
    components: {
      securitySchemes: {
        serviceToken: { type: 'http', scheme: 'bearer' },
        bootstrapToken: {
          type: 'http',
          scheme: 'bearer',
          description: 'A single-use bootstrap token from POST /tokens/bootstrap',
        },
      },
      schemas: { Error: schemaOf(errorBody, 'output') },
    },
    paths,
  };
}
