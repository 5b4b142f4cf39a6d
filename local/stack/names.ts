/** The names of the local stack's resources on the emulators, as the deployed stack's. */
import { ORDERS_ROUTES } from '../../examples/consumer/routes';
import { MANAGEMENT_ROUTES } from '../../shared/api/routes';
import type { Route } from '../../shared/authz/routes';

export const LOCAL_TABLES = { tokens: 'service-tokens', audit: 'service-tokens-audit' } as const;
export const LOCAL_TOPIC = 'service-tokens-alerts';
export const LOCAL_EVENT_BUS = 'service-tokens-lifecycle';
export const DEMO_SECRET = 'local/demo-service-token';
export const LOCAL_REST_API_ID = 'local';
export const LOCAL_STAGE = 'v1';

/**
 * The routes the local API serves behind the authorizer: the management API's, and the example
 * consumer's /orders backends (echo integrations here).
 */
export const LOCAL_CATALOG: readonly Route[] = [...MANAGEMENT_ROUTES, ...ORDERS_ROUTES];
