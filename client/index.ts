/** The typed client of the service-token management API (`service-tokens/client`). */
export {
  ServiceTokensClient,
  type ApisQuery,
  type AuditQuery,
  type ClientOptions,
  type CreateTokenInput,
  type IssuedToken,
  type ListTokensQuery,
  type RotationRequestsQuery,
  type Token,
  type TokenPage,
} from './client';
export { ServiceTokensError, type ClientErrorKind } from './errors';
export { OPERATIONS, type AnswerOf, type OperationId } from './operations';
