/**
 * A typed client of the management API, on the built-in fetch.
 *
 * ```ts
 * const tokens = new ServiceTokensClient({ baseUrl: 'https://…/v1', token: process.env.TOKEN });
 * const issued = await tokens.createToken({ name: 'ci', scopes: ['orders:read'] });
 * ```
 *
 * Every answer is checked against the API's response schema (an unexpected shape is an
 * `invalid-response` error, never a wrongly typed value); failures are ServiceTokensError.
 */
import type * as z from 'zod/mini';
import type * as responses from '../shared/api/responses';
import type * as requests from '../shared/api/schemas';
import { call, type CallInput, type Transport } from './http';
import type { OperationId } from './operations';

export interface ClientOptions {
  /** The API's base URL, with the stage: `https://abc123.execute-api.eu-west-1.amazonaws.com/v1`. */
  readonly baseUrl: string;
  /** The caller's service token (`sk_…`); every operation but the health probe needs one. */
  readonly token?: string;
  /**
   * Attempts per call when the API answers 429 (any call) or 503 (reads only: a write may
   * have committed before a 503), the first included.
   * @default 3
   */
  readonly maxAttempts?: number;
  /**
   * The longest Retry-After the client waits for; a longer one fails the call at once.
   * @default 5000
   */
  readonly maxRetryDelayMs?: number;
  /** @default globalThis.fetch */
  readonly fetch?: typeof globalThis.fetch;
  /** @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** A page's `limit` as a number (the API takes it as a query string). */
type Paged<T> = Omit<T, 'limit'> & { readonly limit?: number };

export type Token = z.infer<typeof responses.tokenView>;
export type IssuedToken = z.infer<typeof responses.issuedToken>;
export type TokenPage = z.infer<typeof responses.tokenPage>;
export type CreateTokenInput = z.input<typeof requests.createTokenBody>;
export type ListTokensQuery = Paged<z.input<typeof requests.listTokensQuery>>;
export type AuditQuery = Paged<z.input<typeof requests.auditQuery>>;
export type ApisQuery = Paged<z.input<typeof requests.listApisQuery>>;
export type RotationRequestsQuery = Paged<z.input<typeof requests.listRotationRequestsQuery>>;

/** The options with their defaults: what every call of the client (and the CLI) goes through. */
export function transportOf(options: ClientOptions): Transport {
  return {
    baseUrl: options.baseUrl,
    token: options.token,
    fetch: options.fetch ?? globalThis.fetch.bind(globalThis),
    maxAttempts: options.maxAttempts ?? 3,
    maxRetryDelayMs: options.maxRetryDelayMs ?? 5000,
    sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
  };
}

export class ServiceTokensClient {
  private readonly transport: Transport;

  constructor(options: ClientOptions) {
    this.transport = transportOf(options);
  }

  private call<O extends OperationId>(operation: O, input: CallInput = {}) {
    return call(this.transport, operation, input);
  }

  getMe() {
    return this.call('getMe');
  }
  createToken(body: CreateTokenInput) {
    return this.call('createToken', { body });
  }
  createBootstrapToken(body: z.input<typeof requests.createBootstrapBody>) {
    return this.call('createBootstrapToken', { body });
  }
  /** Exchange a bootstrap token (sent instead of the client's token) for a token of its own. */
  exchangeBootstrapToken(bootstrapToken: string, body: z.input<typeof requests.exchangeBody>) {
    return this.call('exchangeBootstrapToken', { body, token: bootstrapToken });
  }
  listTokens(query: ListTokensQuery = {}) {
    return this.call('listTokens', { query });
  }
  getToken(id: string) {
    return this.call('getToken', { params: { id } });
  }
  getTokenUsage(id: string) {
    return this.call('getTokenUsage', { params: { id } });
  }
  rotateToken(id: string, body: z.input<typeof requests.rotateTokenBody> = {}) {
    return this.call('rotateToken', { params: { id }, body });
  }
  requestRotation(id: string, body: z.input<typeof requests.rotationRequestBody>) {
    return this.call('requestRotation', { params: { id }, body });
  }
  listRotationRequests(query: RotationRequestsQuery = {}) {
    return this.call('listRotationRequests', { query });
  }
  approveRotationRequest(
    id: string,
    requestId: string,
    body: z.input<typeof requests.approveBody> = {},
  ) {
    const params = { id, requestId };
    return this.call('approveRotationRequest', { params, body });
  }
  rejectRotationRequest(id: string, requestId: string, body: z.input<typeof requests.rejectBody>) {
    const params = { id, requestId };
    return this.call('rejectRotationRequest', { params, body });
  }
  executeRotationRequest(id: string, requestId: string) {
    const params = { id, requestId };
    return this.call('executeRotationRequest', { params });
  }
  revokeToken(id: string, query: z.input<typeof requests.revokeQuery> = {}) {
    return this.call('revokeToken', { params: { id }, query });
  }
  emergencyRevoke(body: z.input<typeof requests.emergencyRevokeBody>) {
    return this.call('emergencyRevoke', { body });
  }
  listAuditEvents(query: AuditQuery) {
    return this.call('listAuditEvents', { query });
  }
  /** The protected APIs as the registry holds them, with the scopes each knows. */
  listApis(query: ApisQuery = {}) {
    return this.call('listApis', { query });
  }
  getHealth() {
    return this.call('getHealth');
  }
  /** The API's OpenAPI document, as `docs/openapi.json` has it; needs no token. */
  getOpenApiDocument() {
    return this.call('getOpenApiDocument');
  }
}
