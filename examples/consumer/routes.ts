/**
 * The example consumer's routes with their scopes: an orders service of some team. The example
 * CDK app protects each of them, and the local stack serves them on a consumer API of its own.
 */
import type { Route } from '../../shared/authz/routes';

export const ORDERS_ROUTES: readonly Route[] = [
  { method: 'GET', path: '/orders', scopes: ['orders:read'] },
  { method: 'GET', path: '/orders/{orderId}', scopes: ['orders:read'] },
  { method: 'POST', path: '/orders', scopes: ['orders:write'] },
  { method: 'DELETE', path: '/orders/{orderId}', scopes: ['orders:admin'] },
];
