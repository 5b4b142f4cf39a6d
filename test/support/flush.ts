/** Lifecycle events as the flusher's SQS queue delivers them, and stages to flush. */
import type { ProtectedStage } from '../../shared/flush/stages';

export const ACCOUNT = '123456789012';

export const PLATFORM_STAGE: ProtectedStage = {
  apiId: 'platform1',
  stage: 'v1',
  kind: 'rest',
  region: 'us-east-1',
  account: ACCOUNT,
};

export const stage = (apiId: string, overrides: Partial<ProtectedStage> = {}): ProtectedStage => ({
  apiId,
  stage: 'prod',
  kind: 'http',
  region: 'us-east-1',
  account: ACCOUNT,
  ...overrides,
});

/** The EventBridge event a bus rule puts in the queue, as the message body. */
export function lifecycleBody(eventId: string, type = 'TokenRevoked'): string {
  return JSON.stringify({
    version: '0',
    id: `eb-${eventId}`,
    source: 'service-tokens',
    'detail-type': type,
    account: ACCOUNT,
    time: '2026-11-23T10:00:00Z',
    region: 'us-east-1',
    resources: [],
    detail: {
      version: '1',
      eventId,
      occurredAt: '2026-11-23T10:00:00.000Z',
      actor: 'tok_admin',
      token: { id: 'tok_a000000000000001' },
      data: {},
    },
  });
}

/** An SQS batch of one message per event id; message ids as SQS would give them, unique. */
export function sqsBatch(eventIds: readonly string[], messagePrefix = 'm'): { Records: unknown[] } {
  return {
    Records: eventIds.map((id, i) => ({
      messageId: `${messagePrefix}-${String(i)}-${id}`,
      receiptHandle: `rh-${String(i)}`,
      body: lifecycleBody(id),
      attributes: { ApproximateReceiveCount: '1' },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: `arn:aws:sqs:us-east-1:${ACCOUNT}:flush`,
      awsRegion: 'us-east-1',
    })),
  };
}

/** A clock that only moves when the code under test sleeps (or the test says so). */
export class FakeClock {
  t = 1_000_000;
  readonly now = () => this.t;
  readonly sleep = (ms: number) => {
    this.t += ms;
    return Promise.resolve();
  };
}
