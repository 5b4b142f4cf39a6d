/** The names of the local stack's resources on the emulators, as the deployed stack's. */

export const LOCAL_TABLES = {
  tokens: 'service-tokens',
  audit: 'service-tokens-audit',
  registry: 'service-tokens-apis',
} as const;
/** The account the local stack's APIs are registered in (the emulators accept any). */
export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_TOPIC = 'service-tokens-alerts';
export const LOCAL_EVENT_BUS = 'service-tokens-lifecycle';
export const DEMO_SECRET = 'local/demo-service-token';
export const LOCAL_REST_API_ID = 'local';
export const LOCAL_STAGE = 'v1';
