/** Authorizers that protect a team's own REST and HTTP APIs with the platform's tokens. */
export {
  ConsumerAuthorizerFunction,
  DEFAULT_CACHE_TTL,
  type ConsumerAuthorizerProps,
} from './authorizer-function';
export {
  HTTP_IDENTITY_SOURCES,
  HttpApiTokenAuthorizer,
  type HttpApiTokenAuthorizerProps,
  type ProtectedRoutesOptions,
} from './http-api-authorizer';
export { ProtectedCatalog } from './protected-catalog';
export {
  RestApiTokenAuthorizer,
  type ProtectedMethodOptions,
  type RestApiTokenAuthorizerProps,
} from './rest-api-authorizer';
export type { TokenTableAccess, TokenTableArns } from '../token-table-access';
export { ApiRegistry, type ApiRegistryAccess, type ApiRegistryProps } from '../api-registry';
export {
  API_REGISTRATION_TYPE,
  ApiRegistration,
  type ApiRegistrationProps,
} from './api-registration';
