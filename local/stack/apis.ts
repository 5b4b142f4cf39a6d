/**
 * The REST APIs the local stack serves, each a LocalGateway with its own authorizer function
 * and its own policy cache, as each deployed API has: the platform's management API, and the
 * example consumer's orders API (echo backends, like the example's integrations locally).
 */
import { MANAGEMENT_ROUTES, PUBLIC_ROUTES } from '../../shared/api/routes';
import { authorizationHeaderPattern } from '../../shared/gateway/contract';
import { DEFAULT_TOKEN_PREFIX } from '../../shared/token/format';
import { LocalGateway, type GatewayOptions } from '../aws/gateway';
import type { LambdaHandler } from '../aws/lambda-context';
import type { FunctionHandlers } from './handlers';
import { LEAK_GATEWAY_ROUTES } from './leaks';
import { ORDERS_API, PLATFORM_API, stageKey, type LocalApiName } from './names';

function gateway(
  api: LocalApiName,
  authorizer: LambdaHandler,
  cacheTtlSeconds: number,
  integrations: Pick<GatewayOptions, 'integrations' | 'publicRoutes'>,
): LocalGateway {
  return new LocalGateway({
    catalog: api.catalog,
    authorizer,
    ...integrations,
    identityValidation: new RegExp(authorizationHeaderPattern(DEFAULT_TOKEN_PREFIX)),
    cacheTtlMs: cacheTtlSeconds * 1000,
    restApiId: api.restApiId,
    stage: api.stage,
  });
}

/** The gateways by stage (`restApiId/stage`), and what the control plane does to all of them. */
export class LocalApis {
  readonly platform: LocalGateway;
  readonly orders: LocalGateway;
  /**
   * Every local stage's gateway by `stageKey(restApiId, stage)`: where a flush of a stage
   * lands, whether it comes as FlushStageAuthorizersCache over HTTP or from code in-process.
   */
  readonly byStage: ReadonlyMap<string, LocalGateway>;

  constructor(functions: FunctionHandlers, cacheTtlSeconds: number) {
    const integrated = [...MANAGEMENT_ROUTES, ...PUBLIC_ROUTES];
    const key = (r: { method: string; path: string }) => `${r.method} ${r.path}`;
    this.platform = gateway(PLATFORM_API, functions.authorizer, cacheTtlSeconds, {
      publicRoutes: [...PUBLIC_ROUTES, ...LEAK_GATEWAY_ROUTES],
      // The leak intake is its own function, as deployed (infra/leak-intake.ts).
      integrations: new Map([
        ...integrated.map((r) => [key(r), functions.management] as const),
        ...LEAK_GATEWAY_ROUTES.map((r) => [key(r), functions.leakIntake] as const),
      ]),
    });
    this.orders = gateway(ORDERS_API, functions.ordersAuthorizer, cacheTtlSeconds, {
      integrations: new Map(),
    });
    this.byStage = new Map(
      [this.platform, this.orders].map((g) => [stageKey(g.restApiId, g.stage), g]),
    );
  }

  /** The same authorizer cache TTL on every API (each cache is flushed). */
  setCacheTtl(ms: number): void {
    for (const api of this.byStage.values()) api.setCacheTtl(ms);
  }
}
