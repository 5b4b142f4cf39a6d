/**
 * SDK middleware that numbers every AWS call of the clients it is attached to and makes one
 * chosen call fail once:
 * - `throttle`: rejected before it is sent (nothing happened);
 * - `timeout`: sent and applied, then the response is "lost" (the nastiest case for retries);
 * - `condition`: a spurious conditional-check failure (DynamoDB calls only).
 * It sits in the initialize step, outside the SDK's own retries, so the caller sees the fault.
 */
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { MiddlewareStack } from '@smithy/types';

export const FAULT_KINDS = ['throttle', 'timeout', 'condition'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

function fault(kind: FaultKind, command: string): Error {
  if (kind === 'throttle') {
    return Object.assign(new Error('Rate exceeded (injected)'), { name: 'ThrottlingException' });
  }
  if (kind === 'timeout') {
    return Object.assign(new Error('socket hang up (injected)'), { name: 'TimeoutError' });
  }
  if (command === 'TransactWriteItemsCommand') {
    return new TransactionCanceledException({
      message: 'Transaction cancelled (injected)',
      $metadata: {},
      CancellationReasons: [{ Code: 'ConditionalCheckFailed' }],
    });
  }
  return new ConditionalCheckFailedException({ message: 'injected', $metadata: {} });
}

export class FaultInjector {
  /** Command names in call order since the last `reset`. */
  readonly calls: string[] = [];
  private armed: { at: number; kind: FaultKind } | undefined;
  private armedFor: { command: string; kind: FaultKind } | undefined;
  private blocked: string | undefined;
  fired: { command: string; kind: FaultKind } | undefined;

  attach(client: DynamoDBClient | SecretsManagerClient): void {
    const intercept = async <T>(command: string, send: () => Promise<T>): Promise<T> => {
      const index = this.calls.push(command) - 1;
      if (command === this.blocked) throw fault('throttle', command);
      const next = this.armedFor?.command === command ? this.armedFor : undefined;
      const armed = next ?? (this.armed?.at === index ? this.armed : undefined);
      if (armed === undefined) return send();
      if (next === undefined) this.armed = undefined;
      else this.armedFor = undefined;
      this.fired = { command, kind: armed.kind };
      if (armed.kind === 'timeout') await send();
      throw fault(armed.kind, command);
    };
    if (client instanceof DynamoDBClient) this.addTo(client.middlewareStack, intercept);
    else this.addTo(client.middlewareStack, intercept);
  }

  private addTo<I extends object, O extends object>(
    stack: MiddlewareStack<I, O>,
    intercept: <T>(command: string, send: () => Promise<T>) => Promise<T>,
  ): void {
    stack.add(
      (next, context) => (args) => intercept(context.commandName ?? 'unknown', () => next(args)),
      {
        step: 'initialize',
        name: 'faultInjector',
      },
    );
  }

  arm(at: number, kind: FaultKind): void {
    this.armed = { at, kind };
    this.fired = undefined;
  }

  /** Make the next call of `command` fail once. */
  armNext(command: string, kind: FaultKind): void {
    this.armedFor = { command, kind };
    this.fired = undefined;
  }

  /** Fail every call of one command (throttling) until `reset`. */
  block(command: string): void {
    this.blocked = command;
  }

  reset(): void {
    this.calls.length = 0;
    this.armed = undefined;
    this.armedFor = undefined;
    this.blocked = undefined;
    this.fired = undefined;
  }
}
