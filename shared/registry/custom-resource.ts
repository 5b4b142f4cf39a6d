/**
 * The registration custom resource's provider, as CloudFormation drives it: a Create, Update or
 * Delete request, answered by a PUT of SUCCESS or FAILED to the request's pre-signed URL. The
 * rules:
 * - the properties are validated (the catalog with the authorizer's own rules), and a refusal
 *   answers FAILED with a reason naming the problem, never a stack trace;
 * - every request is idempotent, since CloudFormation and Lambda both retry: a Create or
 *   Update overwrites the API's one item, a Delete of an absent item succeeds;
 * - the physical id is the API's key, so an Update naming another API (or account, region,
 *   kind) is a replacement: CloudFormation then deletes the old id, which removes the old item;
 * - a Delete only removes the item its own stack and logical id wrote, and never fails on a
 *   physical id it does not know (a Create that failed): a stack can always be deleted.
 */
import * as z from 'zod/mini';
import { routeCatalogSchema } from '../authz/routes';
import {
  apiKeyOf,
  apiRegistrationSchema,
  isApiKey,
  type ApiRegistration,
  type ApiRegistryRepository,
} from '../store/api-registry';
import { TokenStoreError } from '../store/errors';
import { parseJsonOrUndefined } from '../json';

/**
 * CloudFormation's response URLs are pre-signed S3 URLs of its response buckets
 * (`cloudformation-custom-resource-response-<region>.s3[.-]<region>.amazonaws.com`). Anything
 * else is refused before a PUT: the provider must not send requests to a host its caller
 * chose (an instance metadata endpoint, a service inside the VPC).
 */
const RESPONSE_HOST =
  /^cloudformation-custom-resource-response(?:-[a-z0-9]+)?\.s3(?:[.-][a-z0-9-]+)*\.amazonaws\.com(?:\.cn)?$/;

export function isCloudFormationResponseUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'https:' && url.port === '' && RESPONSE_HOST.test(url.hostname);
  } catch {
    return false;
  }
}

const commonFields = {
  ResponseURL: z
    .url()
    .check(
      z.refine(isCloudFormationResponseUrl, 'must be a CloudFormation response URL (https, S3)'),
    ),
  StackId: z.string().check(z.minLength(1)),
  RequestId: z.string().check(z.minLength(1)),
  LogicalResourceId: z.string().check(z.minLength(1)),
  ResourceType: z.string(),
  ResourceProperties: z.record(z.string(), z.unknown()),
};

/** The envelope CloudFormation sends; the properties are checked on their own. */
export const customResourceEventSchema = z.discriminatedUnion('RequestType', [
  z.object({ RequestType: z.literal('Create'), ...commonFields }),
  z.object({
    RequestType: z.literal('Update'),
    PhysicalResourceId: z.string(),
    OldResourceProperties: z.optional(z.record(z.string(), z.unknown())),
    ...commonFields,
  }),
  z.object({ RequestType: z.literal('Delete'), PhysicalResourceId: z.string(), ...commonFields }),
]);

export type CustomResourceEvent = z.infer<typeof customResourceEventSchema>;

/** What the provider answers CloudFormation (the body of the PUT to ResponseURL). */
export interface CustomResourceResponse {
  readonly Status: 'SUCCESS' | 'FAILED';
  readonly Reason?: string;
  readonly PhysicalResourceId: string;
  readonly StackId: string;
  readonly RequestId: string;
  readonly LogicalResourceId: string;
  readonly Data?: Readonly<Record<string, string>>;
}

/** The custom resource's properties (strings, as CloudFormation passes every scalar). */
const text = () => z.string('is missing or not a string');
const propertiesSchema = z.object({
  ApiId: text(),
  Kind: text(),
  Stages: z.array(text(), 'must be a list of stage names'),
  Region: text(),
  Account: text(),
  /** The route catalog as JSON, rendered at synth. */
  Catalog: text(),
});

/** What a catalog must look like, for a refusal. */
const CATALOG_RULE =
  'the Catalog is a non-empty JSON list of { method, path, scopes }: method GET, POST, PUT, PATCH or DELETE, a path like /orders/{orderId}, scopes like orders:read';

/** The failure reason of a properties problem: each problem with the property it concerns. */
function describe(issues: readonly z.core.$ZodIssue[], whole: string): string {
  return issues
    .map((issue) => `${issue.path.map(String).join('.') || whole}: ${issue.message}`)
    .join('; ');
}

/** The registration the properties describe, or the reason they do not describe one. */
export function parseRegistration(
  properties: Record<string, unknown>,
  stackId: string,
): { ok: true; api: ApiRegistration } | { ok: false; reason: string } {
  const props = propertiesSchema.safeParse(properties);
  if (!props.success)
    return {
      ok: false,
      reason: `Invalid properties: ${describe(props.error.issues, 'properties')}`,
    };
  const routes = routeCatalogSchema.safeParse(parseJsonOrUndefined(props.data.Catalog));
  if (!routes.success) {
    const problems = describe(routes.error.issues, 'Catalog');
    return { ok: false, reason: `Invalid Catalog: ${problems}; ${CATALOG_RULE}` };
  }
  const api = apiRegistrationSchema.safeParse({
    apiId: props.data.ApiId,
    kind: props.data.Kind,
    stages: props.data.Stages,
    region: props.data.Region,
    account: props.data.Account,
    routes: routes.data,
  });
  if (!api.success)
    return { ok: false, reason: `Invalid properties: ${describe(api.error.issues, 'properties')}` };
  const [, , , region, account] = stackId.split(':');
  if (region !== api.data.region || account !== api.data.account) {
    return {
      ok: false,
      reason: `The API's Account and Region (${api.data.account}, ${api.data.region}) must be the registering stack's (${account ?? '?'}, ${region ?? '?'})`,
    };
  }
  return { ok: true, api: api.data };
}

/** A reason short enough for CloudFormation's 4 KB response body. */
function truncated(reason: string): string {
  return reason.length <= 1000 ? reason : `${reason.slice(0, 997)}...`;
}

/** Answer one request: register, re-register or deregister, as CloudFormation asked. */
/**
 * The account the request comes from, as the provider was invoked: consumer accounts may only
 * invoke the alias `consumer-<account>` made for them (infra/api-registry.ts), and only the
 * platform's own account the function itself. The request's own StackId and Account are the
 * caller's words; this is not.
 */
export function callerAccount(invokedFunctionArn: string): string | undefined {
  const parts = invokedFunctionArn.split(':');
  const own = parts[4];
  const qualifier = parts[7];
  if (qualifier === undefined || qualifier === '$LATEST') return own;
  return /^consumer-(\d{12})$/.exec(qualifier)?.[1];
}

/** The account of an API key (`<account>/<region>/<kind>/<apiId>`). */
const accountOfKey = (apiKey: string): string | undefined => apiKey.split('/')[0];

export async function registrationResponse(
  event: CustomResourceEvent,
  registry: ApiRegistryRepository,
  caller: string | undefined,
): Promise<CustomResourceResponse> {
  const registeredBy = `${event.StackId}/${event.LogicalResourceId}`;
  const answer = (status: 'SUCCESS' | 'FAILED', physicalId: string, extra = {}) => ({
    Status: status,
    PhysicalResourceId: physicalId,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
    ...extra,
  });
  // Before anything is registered, a failed Create answers with an id that names no API.
  const currentId =
    event.RequestType === 'Create'
      ? `unregistered:${event.LogicalResourceId}`
      : event.PhysicalResourceId;
  try {
    if (event.RequestType === 'Delete') {
      // Another account's API is not the caller's to remove; its own failed Create is (no-op).
      if (isApiKey(event.PhysicalResourceId) && accountOfKey(event.PhysicalResourceId) !== caller) {
        return answer('FAILED', event.PhysicalResourceId, {
          Reason: `The API ${event.PhysicalResourceId} is not registered by the calling account`,
        });
      }
      if (isApiKey(event.PhysicalResourceId)) {
        await registry.deregister(event.PhysicalResourceId, registeredBy);
      }
      return answer('SUCCESS', event.PhysicalResourceId);
    }
    const parsed = parseRegistration(event.ResourceProperties, event.StackId);
    if (!parsed.ok) return answer('FAILED', currentId, { Reason: truncated(parsed.reason) });
    if (parsed.api.account !== caller) {
      return answer('FAILED', currentId, {
        Reason: `The API's Account (${parsed.api.account}) must be the account that invokes the registry (${caller ?? 'unknown'}): use the ApiRegistryServiceToken output made for that account`,
      });
    }
    const stored = await registry.register(parsed.api, registeredBy);
    // Data stays small: CloudFormation refuses a response body over 4 KB.
    return answer('SUCCESS', apiKeyOf(parsed.api), { Data: { ApiKey: stored.apiKey } });
  } catch (error) {
    // The store's own message (e.g. "DynamoDB register failed: AccessDeniedException"), or a
    // generic one for anything unexpected: never a stack trace, never a secret.
    const reason = error instanceof TokenStoreError ? error.message : 'Internal error';
    return answer('FAILED', currentId, {
      Reason: `Could not ${event.RequestType === 'Delete' ? 'deregister' : 'register'} the API: ${reason} (request ${event.RequestId}; see the provider's logs)`,
    });
  }
}
