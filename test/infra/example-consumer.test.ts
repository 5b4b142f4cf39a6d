/**
 * The example consumer (examples/consumer): a CDK app with the platform in one stack and a
 * team's orders service in another, its REST API and HTTP API each behind a service-token
 * authorizer of its own with ORDERS_ROUTES, and one Lambda backend that answers with the
 * caller the authorizer vouched for.
 */
import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildExampleApp, type ExampleApp } from '../../examples/consumer/app';
import { callerOf, handler } from '../../examples/consumer/handler';
import { ORDERS_ROUTES } from '../../examples/consumer/routes';
import { HTTP_IDENTITY_SOURCES } from '../../infra/consumer';
import { routeKey } from '../../shared/authz/routes';
import { generateToken } from '../../shared/token/format';
import { nagFindings } from './nag';
import { resources } from './template';

let example: ExampleApp;
let findings: string[];
let template: Template;

beforeAll(() => {
  // The orders stack bundled (its backend and both authorizers); the platform's functions not.
  const app = new App({
    outdir: mkdtempSync(join(tmpdir(), 'cdk-example-')),
    context: { 'aws:cdk:bundling-stacks': ['Orders'] },
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  findings = nagFindings(app, (built) => {
    example = buildExampleApp(built);
    return example.orders;
  });
  template = Template.fromStack(example.orders);
}, 120_000);

const functionSchema = z.object({
  Description: z.string(),
  Environment: z.optional(z.object({ Variables: z.record(z.string(), z.unknown()) })),
});

describe('the example consumer app', () => {
  it('synthesizes both stacks with no cdk-nag AwsSolutions finding', () => {
    expect(findings).toEqual([]);
  });

  it("protects its REST API with a TOKEN authorizer, every method behind it, on the API's own catalog", () => {
    template.resourceCountIs('AWS::ApiGateway::Authorizer', 1);
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', { Type: 'TOKEN' });
    const methods = resources(
      template,
      'AWS::ApiGateway::Method',
      z.object({ HttpMethod: z.string(), AuthorizationType: z.string() }),
    );
    expect(methods).toHaveLength(ORDERS_ROUTES.length);
    for (const { properties } of methods) expect(properties.AuthorizationType).toBe('CUSTOM');
  });

  it('protects its HTTP API with a REQUEST authorizer whose cache key holds the route key, every route behind it', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'REQUEST',
      AuthorizerPayloadFormatVersion: '2.0',
      EnableSimpleResponses: true,
      IdentitySource: HTTP_IDENTITY_SOURCES,
    });
    expect(HTTP_IDENTITY_SOURCES).toEqual(['$request.header.Authorization', '$context.routeKey']);
    const routes = resources(
      template,
      'AWS::ApiGatewayV2::Route',
      z.object({ RouteKey: z.string(), AuthorizationType: z.string() }),
    );
    expect(routes.map((r) => r.properties.RouteKey).sort()).toEqual(
      ORDERS_ROUTES.map(routeKey).sort(),
    );
    for (const { properties } of routes) expect(properties.AuthorizationType).toBe('CUSTOM');
  });

  it('gives each API an authorizer function of its own with ORDERS_ROUTES, and one backend', () => {
    const functions = resources(template, 'AWS::Lambda::Function', functionSchema);
    const authorizers = functions.filter((f) => f.properties.Description.startsWith('Validates'));
    expect(authorizers.map((f) => f.properties.Description).sort()).toEqual([
      'Validates sk_ service tokens for a consumer HTTP API',
      'Validates sk_ service tokens for a consumer REST API',
    ]);
    for (const { properties } of authorizers) {
      expect(properties.Environment?.Variables['ROUTE_SCOPES']).toBe(JSON.stringify(ORDERS_ROUTES));
    }
    expect(functions.map((f) => f.properties.Description)).toContain(
      'Orders backend: answers with the caller the token authorizer vouched for',
    );
    expect(example.orders.restAuthorizer.catalog).toEqual(ORDERS_ROUTES);
    expect(example.orders.httpAuthorizer.catalog).toEqual(ORDERS_ROUTES);
  });
});

describe('the orders backend', () => {
  const token = generateToken();
  const context = { tokenId: 'tok_abc', owner: 'team-a', scopes: 'orders:read orders:write' };
  const caller = {
    tokenId: 'tok_abc',
    owner: 'team-a',
    scopes: ['orders:read', 'orders:write'],
  };
  /** A REST proxy event: `$context.authorizer` holds the context, every value a string. */
  const restEvent = {
    resource: '/orders/{orderId}',
    path: '/orders/o-1',
    httpMethod: 'GET',
    headers: { Authorization: `Bearer ${token}` },
    requestContext: { authorizer: { ...context, principalId: 'tok_abc', inGrace: 'false' } },
  };
  /** An HTTP API payload 2.0 event: the simple response's context under `lambda`. */
  const httpEvent = {
    version: '2.0',
    routeKey: 'GET /orders/{orderId}',
    rawPath: '/orders/o-1',
    headers: { authorization: `Bearer ${token}` },
    requestContext: { authorizer: { lambda: { ...context, inGrace: false } } },
  };
  const body = (result: { body: string }): unknown => JSON.parse(result.body);

  it.each([
    ['a REST proxy event', restEvent],
    ['an HTTP API 2.0 event', httpEvent],
  ])("answers %s with the authorizer's caller and the route, never the token", async (_, event) => {
    const result = await handler(event);
    expect(result.statusCode).toBe(200);
    expect(body(result)).toEqual({ route: 'GET /orders/{orderId}', ...caller });
    expect(result.body).not.toContain(token);
  });

  it('reads the HTTP API shape by its version, not a REST-looking authorizer object', () => {
    const mixed = { ...httpEvent, requestContext: { authorizer: context } };
    expect(callerOf(mixed)).toBeUndefined();
  });

  it('refuses (403) an event with no authorizer context: a route wired without the authorizer', async () => {
    for (const event of [
      { ...restEvent, requestContext: { authorizer: null } },
      { ...restEvent, requestContext: {} },
      { ...httpEvent, requestContext: { authorizer: { lambda: { owner: 'team-a' } } } },
      undefined,
      'GET /orders',
    ]) {
      const result = await handler(event);
      expect(result.statusCode).toBe(403);
      expect(body(result)).toEqual({
        message: 'No authorized caller: this route must be behind the token authorizer',
      });
    }
  });
});
