/**
 * The local stack's control commands, `METHOD /_local/name` → handler (server.ts answers them
 * only to tools on this machine): what `npm run local` drives by hand.
 */
import * as z from 'zod/mini';
import { LOCAL_AWS_ENV } from '../aws/clients';
import type { AlertFeed, EventFeed } from './feeds';
import { LOCAL_TABLES, ORDERS_API, PLATFORM_API } from './names';
import type { RotateNow } from './rotate-now';
import type { Schedules } from './schedules';
import { ControlError, type ControlHandler } from './server';

/** What `GET /_local/info` reports besides the fixed names. */
export interface StackInfo {
  readonly url: string;
  /** The example consumer's orders API. */
  readonly ordersUrl: string;
  readonly dynamoEndpoint: string;
  readonly motoEndpoint: string;
  readonly topicArn: string;
  /** The rotated secrets' ARNs. */
  readonly secrets: () => string[];
  readonly alertsFile: string;
}

export interface ControlTargets {
  readonly rotateNow: RotateNow;
  readonly schedules: Schedules;
  /** Change API Gateway's authorizer cache TTL on every API (flushes each). */
  readonly setCacheTtl: (ms: number) => void;
  readonly alerts: AlertFeed;
  readonly events: EventFeed;
  readonly info: StackInfo;
}

const secretBody = z.object({ secret: z.optional(z.string().check(z.minLength(1))) });
const ttlBody = z.object({ ttlSeconds: z.int().check(z.gte(0), z.lte(3600)) });

/** The control commands on `targets`. */
export function controlRoutes(targets: ControlTargets): Map<string, ControlHandler> {
  const { info } = targets;
  return new Map<string, ControlHandler>([
    [
      'POST /_local/rotate-now',
      async (body) => {
        const parsed = secretBody.safeParse(body);
        if (!parsed.success) throw new ControlError(400, 'Send {"secret": "<name or ARN>"} or {}');
        return targets.rotateNow(parsed.data.secret);
      },
    ],
    ['POST /_local/run-schedules', () => targets.schedules.run()],
    [
      'POST /_local/authorizer-cache',
      (body) => {
        const parsed = ttlBody.safeParse(body);
        if (!parsed.success) throw new ControlError(400, 'Send {"ttlSeconds": 0–3600}');
        targets.setCacheTtl(parsed.data.ttlSeconds * 1000);
        return Promise.resolve({ ttlSeconds: parsed.data.ttlSeconds });
      },
    ],
    ['GET /_local/alerts', () => Promise.resolve(targets.alerts.received.map((a) => a.body))],
    [
      'GET /_local/events',
      async () => {
        await targets.events.poll();
        return targets.events.received.map((e) => ({
          'detail-type': e['detail-type'],
          detail: e.detail,
        }));
      },
    ],
    [
      'GET /_local/info',
      () =>
        Promise.resolve({
          url: info.url,
          pid: process.pid,
          dynamoEndpoint: info.dynamoEndpoint,
          motoEndpoint: info.motoEndpoint,
          region: LOCAL_AWS_ENV.AWS_REGION,
          tables: LOCAL_TABLES,
          restApiId: PLATFORM_API.restApiId,
          stage: PLATFORM_API.stage,
          apis: [
            { ...PLATFORM_API, url: info.url },
            { ...ORDERS_API, url: info.ordersUrl },
          ].map(({ restApiId, stage, url }) => ({ restApiId, stage, url })),
          topicArn: info.topicArn,
          secrets: info.secrets(),
          alertsFile: info.alertsFile,
        }),
    ],
  ]);
}
