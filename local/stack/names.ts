/** The names of the local stack's resources on the emulators, as the deployed stack's. */
import { ORDERS_ROUTES } from '../../examples/consumer/routes';
import { MANAGEMENT_ROUTES } from '../../shared/api/routes';
import type { Route } from '../../shared/authz/routes';

export const LOCAL_TABLES = {
  tokens: 'service-tokens',
  audit: 'service-tokens-audit',
  registry: 'service-tokens-apis',
} as const;
export const LOCAL_TOPIC = 'service-tokens-alerts';
export const LOCAL_EVENT_BUS = 'service-tokens-lifecycle';
export const DEMO_SECRET = 'local/demo-service-token';
export const LOCAL_REST_API_ID = 'local';
export const LOCAL_STAGE = 'v1';
/** The account of the local stack's APIs (the platform's and the registered ones). */
export const LOCAL_ACCOUNT = '123456789012';
export const LOCAL_FLUSH_QUEUE = 'service-tokens-stage-flush';
/** The stage flusher's batching window, as deployed (infra/stage-flusher.ts). */
export const LOCAL_FLUSH_WINDOW_SECONDS = 2;

/** One REST API stage the local stack serves, behind an authorizer of its own. */
export interface LocalApiName {
  readonly restApiId: string;
  readonly stage: string;
  /** The routes behind its authorizer: its authorizer function's ROUTE_SCOPES. */
  readonly catalog: readonly Route[];
}

/** The platform's own API: the management routes only, as ServiceTokens deploys it. */
export const PLATFORM_API: LocalApiName = {
  restApiId: LOCAL_REST_API_ID,
  stage: LOCAL_STAGE,
  catalog: MANAGEMENT_ROUTES,
};

/**
 * The example consumer's orders API (examples/consumer), on a port of its own as it has a
 * hostname of its own in AWS: its own catalog and its own authorizer, echo backends.
 */
export const ORDERS_API: LocalApiName = {
  restApiId: 'orders',
  stage: 'prod',
  catalog: ORDERS_ROUTES,
};

/** Every API the local stack serves: what a registry of protected APIs would list. */
export const LOCAL_APIS: readonly LocalApiName[] = [PLATFORM_API, ORDERS_API];

/** `restApiId/stage`: how the local stack names a stage (the key of its gateways). */
export const stageKey = (restApiId: string, stage: string): string => `${restApiId}/${stage}`;
