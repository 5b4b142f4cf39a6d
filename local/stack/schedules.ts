/**
 * The scheduled functions, as the stack's EventBridge schedule rules run them: the
 * expiry-alert and cleanup handlers, one run at a time, on a timer and on demand
 * (`run-schedules`).
 */
import { randomUUID } from 'node:crypto';
import { lambdaContext, type LambdaHandler } from '../aws/lambda-context';

export interface ScheduleRunResult {
  readonly alertsTime: string;
  readonly alerts: unknown;
  readonly cleanup: unknown;
}

export interface SchedulesOptions {
  readonly expiryAlerts: LambdaHandler;
  readonly cleanup: LambdaHandler;
  /** Simulated seconds per real second on the expiry-alert run's clock (1 = real time). */
  readonly clockRate: number;
  /** After each run: resolves once the alerts it sent have been received. */
  readonly afterRun: () => Promise<void>;
}

/** The event a schedule delivers at `time`. */
function scheduledEvent(time: Date) {
  return {
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    time: time.toISOString(),
    detail: {},
  };
}

function invokeScheduled(handler: LambdaHandler, name: string, time: Date): Promise<unknown> {
  const event = scheduledEvent(time);
  return handler(event, lambdaContext(name, event.id, 300_000));
}

export class Schedules {
  private current: Promise<ScheduleRunResult> | undefined;
  private readonly alertsClock: () => Date;

  constructor(private readonly options: SchedulesOptions) {
    // The expiry-alert run's clock: real time at start, then `clockRate` seconds per second.
    // Cleanup keeps the real clock: it retires tokens, and the authorizer would then refuse
    // tokens that have not ended on its (real) clock.
    const origin = Date.now();
    this.alertsClock = () => new Date(origin + (Date.now() - origin) * options.clockRate);
  }

  /** Run both now; a run asked for while one is going waits for it, then runs. */
  async run(): Promise<ScheduleRunResult> {
    while (this.current !== undefined) await this.current.catch(() => undefined);
    const run = this.runOnce();
    this.current = run;
    try {
      return await run;
    } finally {
      this.current = undefined;
    }
  }

  /**
   * Run every `everySeconds`; a tick while a run is still going is skipped, as a slow
   * schedule would be. The returned stop ends the timer and awaits a run in progress.
   */
  every(
    everySeconds: number,
    print: (line: string) => void,
    isStopping: () => boolean,
  ): () => Promise<void> {
    const timer = setInterval(() => {
      if (isStopping() || this.current !== undefined) return;
      this.run().catch((error: unknown) => {
        print(`[schedules] run failed (the next one retries): ${String(error)}`);
      });
    }, everySeconds * 1000);
    return async () => {
      clearInterval(timer);
      await this.current?.catch(() => undefined);
    };
  }

  private async runOnce(): Promise<ScheduleRunResult> {
    const alertsTime = this.alertsClock();
    const { expiryAlerts, cleanup } = this.options;
    const alerts = await invokeScheduled(expiryAlerts, 'token-expiry-alerts', alertsTime);
    const retired = await invokeScheduled(cleanup, 'token-cleanup', new Date());
    await this.options.afterRun();
    return { alertsTime: alertsTime.toISOString(), alerts, cleanup: retired };
  }
}
