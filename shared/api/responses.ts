/**
 * The management API's responses, as zod schemas: what each route answers (docs/openapi.json
 * is generated from them). A token is never shown with its hash, and its plaintext only in the
 * response that issues it.
 */
import * as z from 'zod/mini';
import { auditEventSchema } from '../store/audit';
import { storedKindSchema } from '../token/kinds';
import { rotationRequestSchema, TOKEN_STATUSES } from '../token/record';
import { rotationPolicySchema } from '../token/rotation-policy';

/** A token as the API shows it: never the token, never its hash. */
export const tokenView = z.object({
  tokenId: z.string(),
  name: z.string(),
  owner: z.string(),
  scopes: z.array(z.string()),
  hint: z.string(),
  status: z.enum(TOKEN_STATUSES),
  createdAt: z.string(),
  expiresAt: z.string(),
  metadata: z.optional(z.record(z.string(), z.string())),
  rotatedFrom: z.optional(z.string()),
  rotatedTo: z.optional(z.string()),
  graceUntil: z.optional(z.string()),
  revokedAt: z.optional(z.string()),
  revokeReason: z.optional(z.string()),
  lastUsedAt: z.optional(z.string()),
  useCount: z.optional(z.number()),
  kind: z.optional(storedKindSchema),
  tokenLifetimeDays: z.optional(z.number()),
  tokenExpiresBy: z.optional(z.string()),
  exchangedFor: z.optional(z.string()),
  exchangedAt: z.optional(z.string()),
  rotationPolicy: z.optional(rotationPolicySchema),
  rotationRequest: z.optional(rotationRequestSchema),
});
export type TokenView = z.infer<typeof tokenView>;

/** A token's rotation request, with the token it is about. */
export const rotationRequestView = z.extend(rotationRequestSchema, {
  tokenId: z.string(),
  tokenName: z.string(),
  owner: z.string(),
});

export const rotationRequestPage = z.object({
  items: z.array(rotationRequestView),
  cursor: z.optional(z.string()),
});

export const issuedToken = z.extend(tokenView, {
  /** The plaintext token: shown in this response only, never again. */
  token: z.string(),
  warning: z.string(),
});

export const tokenPage = z.object({
  items: z.array(tokenView),
  cursor: z.optional(z.string()),
});

export const exchangedToken = z.extend(issuedToken, {
  /** The bootstrap token this one was exchanged for; it is now used up. */
  bootstrapId: z.string(),
});

export const rotatedToken = z.extend(issuedToken, {
  predecessor: z.object({ tokenId: z.string(), worksUntil: z.string() }),
});

export const grantedRotation = z.extend(rotatedToken, {
  /** The rotation request whose grant this used up. */
  requestId: z.string(),
});

export const revokedToken = z.extend(tokenView, {
  /** False when the token was already revoked (nothing changed). */
  changed: z.boolean(),
});

export const meView = z.object({
  tokenId: z.string(),
  name: z.string(),
  owner: z.string(),
  scopes: z.array(z.string()),
  admin: z.boolean(),
  expiresAt: z.string(),
  graceUntil: z.optional(z.string()),
});

export const usageView = z.object({
  tokenId: z.string(),
  status: z.enum(TOKEN_STATUSES),
  createdAt: z.string(),
  lastUsedAt: z.nullable(z.string()),
  useCount: z.number(),
  note: z.string(),
});

export const emergencyRevokeResult = z.object({
  revoked: z.array(z.string()),
  alreadyRevoked: z.number(),
  /** Tokens whose revocation failed: run it again. */
  failed: z.array(z.string()),
  complete: z.boolean(),
  cacheFlushed: z.boolean(),
  warning: z.optional(z.string()),
});

export const auditPage = z.object({
  items: z.array(auditEventSchema),
  cursor: z.optional(z.string()),
});

/** A registered API: what a consumer authorizer's deploy registered. */
export const registeredApiView = z.object({
  apiId: z.string(),
  kind: z.enum(['rest', 'http']),
  stages: z.array(z.string()),
  region: z.string(),
  account: z.string(),
  /** The distinct scopes its routes name: the scopes a token for this API can usefully hold. */
  scopes: z.array(z.string()),
  routes: z.array(z.object({ method: z.string(), path: z.string(), scopes: z.array(z.string()) })),
  registeredAt: z.string(),
});

export const apiPage = z.object({
  items: z.array(registeredApiView),
  cursor: z.optional(z.string()),
});

export const errorBody = z.object({ message: z.string() });

/** An OpenAPI 3.1 document (its shape is OpenAPI's own, not restated here). */
export const openApiView = z.looseObject({
  openapi: z.string(),
  info: z.looseObject({ title: z.string(), version: z.string() }),
  paths: z.record(z.string(), z.unknown()),
});
