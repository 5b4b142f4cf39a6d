/**
 * The library's public surface, the `service-tokens` package (scripts/build-lib.ts builds it
 * into dist/): the platform as a construct or a stack, its tables, its rotated service tokens,
 * its registry of protected APIs, and the authorizers that protect other teams' REST and HTTP
 * APIs (each registers its API: `ApiRegistration`), the leak intake (`ServiceTokens.leaks`) and
 * the log masking aspect for a consumer's own log groups. Everything else in infra/ is internal.
 */
export * from './consumer';
export { ServiceTokens, type ServiceTokenSpec, type ServiceTokensProps } from './service-tokens';
export { ServiceTokensStack, type ServiceTokensStackProps } from './service-tokens-stack';
export { RotatedServiceToken, type RotatedServiceTokenProps } from './rotated-service-token';
export { TokenTables, type TokenTablesProps } from './token-tables';
export type { AlertSubscription } from './alert-topic';
export { LeakIntake, type LeakResponseOptions } from './leak-intake';
export { TokenLogMasking } from './log-masking';
export type { LeakPolicy } from '../shared/leaks/policy';
export type { HttpMethod, Route } from '../shared/authz/routes';
export type { RotationPolicy } from '../shared/token/rotation-policy';
