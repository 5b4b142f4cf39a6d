/**
 * The route catalog of this deployment: the one place where scopes map to routes. The API's
 * methods are built from it and the authorizer receives it (ROUTE_SCOPES), so a policy can only
 * name routes that exist. Replace the example routes with your own backends.
 */
import type { Route } from '../shared/authz/routes';

export const DEFAULT_ROUTES: Route[] = [
  { method: 'GET', path: '/me', scopes: [] },
  { method: 'GET', path: '/orders', scopes: ['orders:read'] },
  { method: 'GET', path: '/orders/{orderId}', scopes: ['orders:read'] },
  { method: 'POST', path: '/orders', scopes: ['orders:write'] },
  { method: 'DELETE', path: '/orders/{orderId}', scopes: ['orders:admin'] },
];
