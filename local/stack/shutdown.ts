/** How a local stack stops: whatever a start brought up, in reverse order. */

/** Steps to stop what has started, taken back last first; also after a failed start. */
export class Shutdown {
  private readonly steps: (() => Promise<unknown>)[] = [];
  private stoppingNow = false;

  /** @param first - runs before every step: the listener stops taking requests. */
  constructor(private readonly first: () => Promise<void>) {}

  /** True once `stop` has been called: timers and polls then fail quietly. */
  get stopping(): boolean {
    return this.stoppingNow;
  }

  /** Stop this on shutdown, before whatever was added earlier. */
  add(step: () => Promise<unknown>): void {
    this.steps.push(step);
  }

  /** `first`, then every step in reverse order; a failing step does not stop the others. */
  async stop(): Promise<void> {
    this.stoppingNow = true;
    await this.first();
    for (const step of [...this.steps].reverse()) await step().catch(() => undefined);
  }
}
