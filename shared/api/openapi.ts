/**
 * The OpenAPI 3.1 document of the management API, generated from the same zod schemas and
 * route table the handler uses. `npm run openapi` writes it to docs/openapi.json; a test fails
 * when the committed file is stale.
 */
import * as z from 'zod/mini';
import { ROUTE_DOCS } from './route-docs';
import {
  apiPage,
  auditPage,
  emergencyRevokeResult,
  errorBody,
  exchangedToken,
  grantedRotation,
  issuedToken,
  meView,
  revokedToken,
  rotatedToken,
  rotationRequestPage,
  rotationRequestView,
  tokenPage,
  tokenView,
  usageView,
} from './responses';
import {
  approveBody,
  createBootstrapBody,
  createTokenBody,
  emergencyRevokeBody,
  exchangeBody,
  rejectBody,
  rotateTokenBody,
  rotationRequestBody,
} from './schemas';

type JsonSchema = Record<string, unknown>;

function schemaOf(schema: z.ZodMiniType, io: 'input' | 'output'): JsonSchema {
  const generated: JsonSchema = { ...z.toJSONSchema(schema, { io, unrepresentable: 'any' }) };
  // The document declares its dialect once (OpenAPI 3.1 uses JSON Schema 2020-12).
  delete generated['$schema'];
  return generated;
}

/** What each error status means; every one answers an `Error` body. */
const ERRORS: Readonly<Record<string, string>> = {
  '400': 'The request is invalid; the message says what is wrong',
  '401': 'No valid token',
  '403': 'The token lacks a scope, or the operation is refused for it',
  '404': 'No such token (or not visible to this token)',
  '409': 'The token is not in a state that allows this',
  '410': 'Its time is up (an expired bootstrap token or rotation grant)',
  '415': 'A request body that is not JSON',
  '429': "API Gateway's throttle (account, stage or method); retry with backoff",
  '503': 'The token store is busy; retry after Retry-After',
};
/** What any route can answer: bad input, no valid token, refused, not JSON, throttled, busy. */
const EVERY_ROUTE = ['400', '401', '403', '415', '429', '503'];

type RouteDoc = (typeof ROUTE_DOCS)[number];

/** Named response schemas: components of the document, referenced wherever they occur. */
const RESPONSES: Readonly<Record<string, z.ZodMiniType>> = {
  Error: errorBody,
  Token: tokenView,
  IssuedToken: issuedToken,
  ExchangedToken: exchangedToken,
  RotatedToken: rotatedToken,
  GrantedRotation: grantedRotation,
  RevokedToken: revokedToken,
  TokenPage: tokenPage,
  Me: meView,
  Usage: usageView,
  RotationRequest: rotationRequestView,
  RotationRequestPage: rotationRequestPage,
  EmergencyRevokeResult: emergencyRevokeResult,
  AuditPage: auditPage,
  ApiPage: apiPage,
};

/** Named request schemas (as accepted: defaults make fields optional). */
const REQUESTS: Readonly<Record<string, z.ZodMiniType>> = {
  CreateTokenRequest: createTokenBody,
  CreateBootstrapTokenRequest: createBootstrapBody,
  ExchangeRequest: exchangeBody,
  RotateTokenRequest: rotateTokenBody,
  RotationRequestRequest: rotationRequestBody,
  ApproveRequest: approveBody,
  RejectRequest: rejectBody,
  EmergencyRevokeRequest: emergencyRevokeBody,
};

/** The tags, in the document's order: one per family of operations. */
const TAGS = [
  {
    name: 'session',
    description: 'The calling token itself, the liveness probe and this document',
  },
  { name: 'tokens', description: 'Create, read, rotate and revoke tokens' },
  { name: 'bootstrap', description: 'Single-use bootstrap tokens and their exchange' },
  { name: 'rotation-requests', description: 'Asking for, deciding and using rotations' },
  { name: 'emergency', description: 'Revoking all tokens of an owner at once' },
  { name: 'audit', description: 'The audit trail' },
  { name: 'apis', description: 'The protected APIs and the scopes they know (the API registry)' },
] as const;

/** The family of an operation, from its path. */
function tagOf(path: string): (typeof TAGS)[number]['name'] {
  if (path === '/me' || path === '/openapi.json') return 'session';
  if (path === '/audit') return 'audit';
  if (path === '/apis') return 'apis';
  if (path.includes('rotation-requests')) return 'rotation-requests';
  if (path === '/tokens/bootstrap' || path === '/tokens/exchange') return 'bootstrap';
  if (path === '/tokens/emergency-revoke') return 'emergency';
  return 'tokens';
}

/** A named schema as a reference, any other inline. */
function schemaRef(schema: z.ZodMiniType, io: 'input' | 'output'): JsonSchema {
  const named = Object.entries(io === 'input' ? REQUESTS : RESPONSES);
  const name = named.find(([, known]) => Object.is(known, schema))?.[0];
  return name === undefined ? schemaOf(schema, io) : { $ref: `#/components/schemas/${name}` };
}

/** The components, with references between them (a page's items are `Token`s). */
function componentSchemas(): JsonSchema {
  return { ...named(RESPONSES, 'output'), ...named(REQUESTS, 'input') };
}

function named(components: Record<string, z.ZodMiniType>, io: 'input' | 'output'): JsonSchema {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(components)) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, {
    uri: (id) => `#/components/schemas/${id}`,
    unrepresentable: 'any',
    io,
  });
  return Object.fromEntries(
    // The document declares the dialect once; the ids are the components' names.
    Object.entries(schemas).map(([id, schema]) => {
      const rest: JsonSchema = { ...schema };
      delete rest['$schema'];
      delete rest['$id'];
      return [id, rest];
    }),
  );
}

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

/** The statuses an operation can answer: those of every route, and its own refusals. */
/** What a route with no authentication at all can answer: bad input, or throttled. */
const ANONYMOUS_ROUTE = ['400', '429'];

function errorStatuses(route: RouteDoc): string[] {
  if (route.anonymous) return ANONYMOUS_ROUTE;
  const own = new Set<number>(route.refusals);
  if (route.path.includes('{id}')) own.add(404);
  return Object.keys(ERRORS).filter(
    (status) => EVERY_ROUTE.includes(status) || own.has(Number(status)),
  );
}

function responsesOf(route: RouteDoc): JsonSchema {
  const responses: JsonSchema = {
    [String(route.status)]: {
      description: 'Success',
      content: { 'application/json': { schema: schemaRef(route.response, 'output') } },
    },
  };
  for (const status of errorStatuses(route)) {
    responses[status] = {
      description: ERRORS[status],
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
    };
  }
  return responses;
}

/** Any one of the route's scopes grants it, and admin grants every route. */
function securityOf(route: RouteDoc): JsonSchema[] {
  if (route.anonymous) return [];
  if (route.public) return [{ bootstrapToken: [] }];
  if (route.scopes.length === 0) return [{ serviceToken: [] }];
  const scopes = route.scopes.includes('admin') ? route.scopes : [...route.scopes, 'admin'];
  return scopes.map((scope) => ({ serviceToken: [scope] }));
}

function operationOf(route: RouteDoc): JsonSchema {
  const parameters = parametersOf(route);
  return {
    operationId: route.operationId,
    tags: [tagOf(route.path)],
    summary: route.summary,
    ...(route.public ? { 'x-no-authorizer': true } : { 'x-required-scopes': route.scopes }),
    security: securityOf(route),
    ...(parameters.length === 0 ? {} : { parameters }),
    ...(route.body === undefined
      ? {}
      : {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: schemaRef(route.body, 'input') } },
          },
        }),
    responses: responsesOf(route),
  };
}

/** Served by API Gateway itself (a mock integration), with no authorizer. */
const HEALTH: Record<string, JsonSchema> = {
  get: {
    operationId: 'getHealth',
    tags: ['session'],
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
      '429': {
        description: ERRORS['429'],
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
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
        "Create, list, rotate and revoke sk_ service tokens. Every route but POST /tokens/exchange, GET /health and GET /openapi.json needs a token (Authorization: Bearer sk_…) with the scopes in x-required-scopes; the admin scope grants all. POST /tokens/exchange takes a bootstrap token instead; GET /health and GET /openapi.json take none. A token without admin sees only its own owner's tokens.",
    },
    servers: [
      {
        url: 'https://{restApiId}.execute-api.{region}.amazonaws.com/v1',
        variables: { restApiId: { default: 'example' }, region: { default: 'eu-west-1' } },
      },
    ],
    tags: TAGS,
    components: {
      securitySchemes: {
        serviceToken: { type: 'http', scheme: 'bearer' },
        bootstrapToken: {
          type: 'http',
          scheme: 'bearer',
          description: 'A single-use bootstrap token from POST /tokens/bootstrap',
        },
      },
      schemas: componentSchemas(),
    },
    paths,
  };
}
