/**
 * The example consumer API the tests issue `orders:*` tokens for: registered in every test's
 * registry (test/support/dynamo.ts), as a consumer authorizer's deploy would, so that its
 * scopes are known to the management API.
 */
import type { ApiRegistration, ApiRegistryRepository } from '../../shared/store/api-registry';

export const EXAMPLE_API: ApiRegistration = {
  apiId: 'orders12ab',
  kind: 'rest',
  stages: ['prod'],
  region: 'us-east-1',
  account: '123456789012',
  routes: [
    { method: 'GET', path: '/orders', scopes: ['orders:read'] },
    { method: 'GET', path: '/orders/{orderId}', scopes: ['orders:read'] },
    { method: 'POST', path: '/orders', scopes: ['orders:write'] },
    { method: 'DELETE', path: '/orders/{orderId}', scopes: ['orders:admin'] },
  ],
};

/** Who registered the example API, as a custom resource's `<stack id>/<logical id>`. */
export const EXAMPLE_REGISTRANT =
  'arn:aws:cloudformation:us-east-1:123456789012:stack/orders/1/OrdersRegistration';

export function registerExampleApi(registry: ApiRegistryRepository): Promise<unknown> {
  return registry.register(EXAMPLE_API, EXAMPLE_REGISTRANT);
}
