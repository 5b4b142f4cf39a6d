/** The catalog of an API with the management routes and the example consumer's /orders routes. */
import { ORDERS_ROUTES } from '../../examples/consumer/routes';
import { MANAGEMENT_ROUTES } from '../../shared/api/routes';
import type { Route } from '../../shared/authz/routes';

export const EXAMPLE_CATALOG: readonly Route[] = [...MANAGEMENT_ROUTES, ...ORDERS_ROUTES];
