/**
 * The backend routes of this deployment (examples: replace them with your own backends). The
 * stack's route catalog is these plus the management API's routes (shared/api/routes.ts): the
 * API's methods are built from it and the authorizer receives it (ROUTE_SCOPES), so a policy
 * can only name routes that exist.
 */
import { MANAGEMENT_ROUTES } from '../shared/api/routes';
import type { Route } from '../shared/authz/routes';

export const DEFAULT_ROUTES: Route[] = [
  { method: 'GET', path: '/orders', scopes: ['orders:read'] },
  { method: 'GET', path: '/orders/{orderId}', scopes: ['orders:read'] },
  { method: 'POST', path: '/orders', scopes: ['orders:write'] },
  { method: 'DELETE', path: '/orders/{orderId}', scopes: ['orders:admin'] },
];

/** The stack's default route catalog: the management API's routes plus the example backends. */
export const DEFAULT_CATALOG: readonly Route[] = [...MANAGEMENT_ROUTES, ...DEFAULT_ROUTES];
