/**
 * The registry of protected APIs: what each consumer authorizer registered at deploy (its API,
 * stages and route catalog). One item per API on the registry table's one partition, so the
 * whole registry is one Query: the management API reads it to know the scopes that exist, and
 * the cache flusher to reach every protected stage.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import { scopeSchema } from '../token/scope';
import { decodeCursor, encodeCursor, type CursorShape } from './cursor';
import { pageSize, type Page, type PageRequest } from './dynamo/paging';
import { isConditionFailure, translateStoreError, TokenStoreError } from './errors';
import { REGISTRY_PARTITION } from './schema';

export const API_KINDS = ['rest', 'http'] as const;
export type ApiKind = (typeof API_KINDS)[number];

/** API Gateway ids: 10 lowercase letters and digits (`a1b2c3d4e5`); the local stack's `local`. */
const API_ID = /^[a-z0-9]{1,32}$/;
const ACCOUNT = /^\d{12}$/;
const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d$/;
/** A stage name as API Gateway allows it, and HTTP APIs' `$default`. */
const STAGE = /^(?:\$default|[A-Za-z0-9_-]{1,128})$/;

/** A registered route: as the authorizer's catalog holds it. */
const registeredRouteSchema = z.object({
  method: z.string().check(z.regex(/^[A-Z]{3,7}$/)),
  path: z.string().check(z.minLength(1), z.maxLength(1024)),
  scopes: z.array(scopeSchema),
});

export const apiRegistrationSchema = z.object({
  apiId: z.string().check(z.regex(API_ID, 'must be an API Gateway API id, e.g. "a1b2c3d4e5"')),
  kind: z.enum(API_KINDS, 'must be "rest" or "http"'),
  stages: z
    .array(z.string().check(z.regex(STAGE, 'must be a stage name, e.g. "prod" or "$default"')))
    .check(z.minLength(1, 'must name at least one stage')),
  region: z.string().check(z.regex(REGION, 'must be an AWS region, e.g. "eu-west-1"')),
  account: z.string().check(z.regex(ACCOUNT, 'must be a 12-digit AWS account id')),
  routes: z.array(registeredRouteSchema).check(z.minLength(1, 'must hold at least one route')),
});

/** What a consumer registers: its API and the catalog its authorizer enforces. */
export type ApiRegistration = z.infer<typeof apiRegistrationSchema>;

/** A registered API as stored. */
export interface RegisteredApi extends ApiRegistration {
  /** `<account>/<region>/<kind>/<apiId>`: the item's key, and the custom resource's id. */
  readonly apiKey: string;
  /** The distinct scopes its routes name, sorted. */
  readonly scopes: string[];
  /** Who registered it (`<stack id>/<logical id>`): only they deregister it. */
  readonly registeredBy: string;
  readonly registeredAt: string;
}

/** One protected stage, as the per-stage cache flusher needs it. */
export interface ProtectedStage {
  readonly apiId: string;
  readonly stage: string;
  readonly kind: ApiKind;
  readonly region: string;
  readonly account: string;
}

const storedApiSchema = z.object({
  ...apiRegistrationSchema.shape,
  apiKey: z.string(),
  scopes: z.array(z.string()),
  registeredBy: z.string(),
  registeredAt: z.string(),
});

const API_KEY = /^(\d{12})\/([a-z0-9-]+)\/(rest|http)\/([a-z0-9]{1,32})$/;

/** The key of `api`'s registry item. */
export function apiKeyOf(api: Pick<ApiRegistration, 'account' | 'region' | 'kind' | 'apiId'>) {
  return `${api.account}/${api.region}/${api.kind}/${api.apiId}`;
}

/** True for a string `apiKeyOf` can have written. */
export function isApiKey(value: string): boolean {
  return API_KEY.test(value);
}

const REGISTRY_CURSOR: CursorShape = {
  keys: [
    ['registry', (value) => value === REGISTRY_PARTITION],
    ['apiKey', isApiKey],
  ],
};

export interface ApiRegistryRepository {
  /**
   * Register `api` (or replace its registration: the same API registered again, by a retry or
   * an update, overwrites its item). Returns the stored item.
   */
  register(api: ApiRegistration, registeredBy: string): Promise<RegisteredApi>;
  /**
   * Remove the registration `apiKey` if `registeredBy` made it; false when there was none, or
   * another registration replaced it since (that one stays). Idempotent.
   */
  deregister(apiKey: string, registeredBy: string): Promise<boolean>;
  /** Registered APIs in key order. */
  list(request?: PageRequest): Promise<Page<RegisteredApi>>;
  /** Every stage of every registered API. */
  listStages(): Promise<ProtectedStage[]>;
  /** The scopes the registered APIs know, and how many APIs there are: one Query, paged. */
  knownScopes(): Promise<{ scopes: Set<string>; apis: number }>;
}

export class DynamoApiRegistry implements ApiRegistryRepository {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.doc = DynamoDBDocumentClient.from(client);
  }

  async register(input: ApiRegistration, registeredBy: string): Promise<RegisteredApi> {
    const api = apiRegistrationSchema.parse(input);
    const item: RegisteredApi = {
      ...api,
      apiKey: apiKeyOf(api),
      scopes: [...new Set(api.routes.flatMap((route) => route.scopes))].sort(),
      registeredBy,
      registeredAt: this.now().toISOString(),
    };
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { registry: REGISTRY_PARTITION, ...item },
        }),
      );
    } catch (error) {
      throw translateStoreError(error, 'register');
    }
    return item;
  }

  async deregister(apiKey: string, registeredBy: string): Promise<boolean> {
    try {
      await this.doc.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { registry: REGISTRY_PARTITION, apiKey },
          ConditionExpression: 'registeredBy = :by',
          ExpressionAttributeValues: { ':by': registeredBy },
        }),
      );
      return true;
    } catch (error) {
      // Absent, or registered by someone else since: nothing of ours to remove.
      if (isConditionFailure(error)) return false;
      throw translateStoreError(error, 'deregister');
    }
  }

  async list(request: PageRequest = {}): Promise<Page<RegisteredApi>> {
    const start = decodeCursor(REGISTRY_CURSOR, request.cursor);
    const result = await this.query('list', {
      Limit: pageSize(request.limit),
      ...(start === undefined ? {} : { ExclusiveStartKey: start }),
    });
    return {
      items: (result.Items ?? []).map(parseApi),
      cursor: encodeCursor(REGISTRY_CURSOR, result.LastEvaluatedKey),
    };
  }

  async listStages(): Promise<ProtectedStage[]> {
    const stages: ProtectedStage[] = [];
    for await (const item of this.all('listStages', 'apiId, kind, stages, #region, account')) {
      const api = stageFields.safeParse(item);
      if (!api.success) throw corrupt('listStages');
      const { stages: names, ...rest } = api.data;
      for (const stage of names) stages.push({ ...rest, stage });
    }
    return stages;
  }

  async knownScopes(): Promise<{ scopes: Set<string>; apis: number }> {
    const scopes = new Set<string>();
    let apis = 0;
    for await (const item of this.all('knownScopes', 'scopes')) {
      const parsed = scopeFields.safeParse(item);
      if (!parsed.success) throw corrupt('knownScopes');
      apis++;
      for (const scope of parsed.data.scopes) scopes.add(scope);
    }
    return { scopes, apis };
  }

  /** Every item of the registry, with only `projection`, page after page. */
  private async *all(operation: string, projection: string) {
    let start: Record<string, unknown> | undefined;
    do {
      const result = await this.query(operation, {
        ProjectionExpression: projection,
        ...(projection.includes('#region')
          ? { ExpressionAttributeNames: { '#region': 'region' } }
          : {}),
        ...(start === undefined ? {} : { ExclusiveStartKey: start }),
      });
      yield* result.Items ?? [];
      start = result.LastEvaluatedKey;
    } while (start !== undefined);
  }

  private async query(operation: string, input: Omit<QueryCommandInput, 'TableName'>) {
    try {
      return await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#registry = :registry',
          ...input,
          ExpressionAttributeNames: { '#registry': 'registry', ...input.ExpressionAttributeNames },
          ExpressionAttributeValues: { ':registry': REGISTRY_PARTITION },
        }),
      );
    } catch (error) {
      throw translateStoreError(error, operation);
    }
  }
}

const stageFields = z.object({
  apiId: z.string(),
  kind: z.enum(API_KINDS),
  stages: z.array(z.string()),
  region: z.string(),
  account: z.string(),
});

const scopeFields = z.object({ scopes: z.array(z.string()) });

function parseApi(item: Record<string, unknown>): RegisteredApi {
  const parsed = storedApiSchema.safeParse(item);
  if (!parsed.success) throw corrupt('list');
  return parsed.data;
}

function corrupt(operation: string): TokenStoreError {
  return new TokenStoreError('corrupt-item', `${operation}: a registry item is malformed`);
}

/** The API registry on `tableName`. */
export function openApiRegistry(options: {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly now?: () => Date;
}): ApiRegistryRepository {
  return new DynamoApiRegistry(options.client, options.tableName, options.now);
}
