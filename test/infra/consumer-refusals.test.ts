/**
 * What the consumer authorizers refuse, each with a message that says what to do: the synth
 * (or the protect() call that declared the route) fails.
 */
import { App, Stack } from 'aws-cdk-lib';
import { MockIntegration, RestApi } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpUrlIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { describe, expect, it } from 'vitest';
import { HttpApiTokenAuthorizer, RestApiTokenAuthorizer } from '../../infra/consumer';
import { TokenTables } from '../../infra/token-tables';
import { TEST_REGISTRY } from './fixtures/consumer-app';

const EXACT_ONLY =
  'ANY and {proxy+} are not supported: declare each method and path with its scopes, so that a token’s scopes map to exact routes';

/** A platform and a consumer stack whose functions are not bundled: constructs only. */
function consumer() {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const tables = new TokenTables(new Stack(app, 'Platform'), 'Tables', { retain: false });
  const stack = new Stack(app, 'Consumer');
  const restApi = new RestApi(stack, 'Rest', { cloudWatchRole: false });
  const httpApi = new HttpApi(stack, 'Http');
  return {
    app,
    stack,
    restApi,
    httpApi,
    rest: new RestApiTokenAuthorizer(stack, 'RestTokens', { tables, registry: TEST_REGISTRY }),
    http: new HttpApiTokenAuthorizer(stack, 'HttpTokens', { tables, registry: TEST_REGISTRY }),
  };
}

const mock = new MockIntegration();
const backend = new HttpUrlIntegration('Backend', 'https://orders.example.com');

describe('RestApiTokenAuthorizer refuses', () => {
  it('an ambiguous catalog, naming the routes that would leak', () => {
    const { restApi, rest } = consumer();
    const orders = restApi.root.addResource('orders');
    rest.protect(orders.addResource('{orderId}'), 'GET', mock, { scopes: ['orders:read'] });
    expect(() =>
      rest.protect(orders.addResource('special'), 'GET', mock, { scopes: ['orders:admin'] }),
    ).toThrow(
      /^Consumer\/RestTokens: the route catalog would be ambiguous: the policy for GET \/orders\/\{orderId\} \[orders:read\] would also allow GET \/orders\/special \[orders:admin\];.* give these routes the same scopes, or paths that cannot match each other$/,
    );
  });

  it('the same method twice', () => {
    const { restApi, rest } = consumer();
    rest.protect(restApi.root, 'GET', mock, { scopes: [] });
    expect(() => rest.protect(restApi.root, 'get', mock, { scopes: [] })).toThrow(
      'GET / is declared twice',
    );
  });

  it('a scope outside the grammar', () => {
    const { restApi, rest } = consumer();
    expect(() =>
      rest.protect(restApi.root.addResource('orders'), 'GET', mock, { scopes: ['Orders Read'] }),
    ).toThrow(
      'Consumer/RestTokens: names invalid scopes: GET /orders: "Orders Read"; a scope must look like "orders:read" (lowercase, ":"-separated)',
    );
  });

  it('ANY', () => {
    const { restApi, rest } = consumer();
    expect(() => rest.protect(restApi.root, 'ANY', mock, { scopes: [] })).toThrow(
      `Consumer/RestTokens: ANY /: ${EXACT_ONLY}`,
    );
  });

  it('a greedy {proxy+} path', () => {
    const { restApi, rest } = consumer();
    expect(() =>
      rest.protect(restApi.root.addResource('{proxy+}'), 'GET', mock, { scopes: [] }),
    ).toThrow(`Consumer/RestTokens: GET /{proxy+}: ${EXACT_ONLY}`);
  });

  it('a method the catalog cannot name', () => {
    const { restApi, rest } = consumer();
    expect(() => rest.protect(restApi.root, 'HEAD', mock, { scopes: [] })).toThrow(
      'Consumer/RestTokens: HEAD /: the method must be one of GET, POST, PUT, PATCH, DELETE',
    );
  });

  it('a second REST API', () => {
    const { stack, restApi, rest } = consumer();
    rest.protect(restApi.root, 'GET', mock, { scopes: [] });
    const other = new RestApi(stack, 'Other', { cloudWatchRole: false });
    expect(() => rest.protect(other.root, 'GET', mock, { scopes: [] })).toThrow(
      'Consumer/RestTokens: protects Consumer/Rest already; create one RestApiTokenAuthorizer per REST API',
    );
  });

  it('a bad token prefix', () => {
    const { stack } = consumer();
    const tables = new TokenTables(stack, 'Local', { retain: false });
    expect(
      () =>
        new RestApiTokenAuthorizer(stack, 'Bad', {
          tables,
          registry: TEST_REGISTRY,
          prefix: 'SK-',
        }),
    ).toThrow('Consumer/Bad: prefix "SK-" must be lowercase letters/digits ending in "_"');
  });
});

describe('HttpApiTokenAuthorizer refuses', () => {
  const protect = (methods: HttpMethod[], path: string, scopes: string[] = []) => {
    const { httpApi, http } = consumer();
    return () => http.protect(httpApi, { path, methods, integration: backend, scopes });
  };

  it('ANY', () => {
    expect(protect([HttpMethod.ANY], '/orders')).toThrow(
      `Consumer/HttpTokens: ANY /orders: ${EXACT_ONLY}`,
    );
  });

  it('a greedy {proxy+} path', () => {
    expect(protect([HttpMethod.GET], '/{proxy+}')).toThrow(
      `Consumer/HttpTokens: GET /{proxy+}: ${EXACT_ONLY}`,
    );
  });

  it('a scope outside the grammar', () => {
    expect(protect([HttpMethod.GET], '/orders', ['orders:*'])).toThrow(
      'Consumer/HttpTokens: names invalid scopes: GET /orders: "orders:*"',
    );
  });

  it('an ambiguous catalog', () => {
    const { httpApi, http } = consumer();
    const add = (path: string, scopes: string[]) =>
      http.protect(httpApi, { path, methods: [HttpMethod.GET], integration: backend, scopes });
    add('/orders/special', ['orders:admin']);
    expect(() => add('/orders/{orderId}', ['orders:read'])).toThrow(
      'the policy for GET /orders/{orderId} [orders:read] would also allow GET /orders/special [orders:admin]',
    );
  });

  it('no method', () => {
    expect(protect([], '/orders')).toThrow(
      'Consumer/HttpTokens: /orders names no method; list its methods',
    );
  });
});

describe('synth refuses', () => {
  it('an authorizer that protects no route', () => {
    const { app, restApi, rest } = consumer();
    rest.protect(restApi.root, 'GET', mock, { scopes: [] });
    expect(() => app.synth()).toThrow(
      'Consumer/HttpTokens protects no route: declare at least one with protect()',
    );
  });
});
