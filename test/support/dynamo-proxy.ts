/**
 * An HTTP proxy between a Lambda bundle's SDK and DynamoDB Local: counts operations
 * (X-Amz-Target) and can answer with throttling instead of forwarding, to exercise the real
 * bundle's failure paths.
 */
import { createServer, request, type Server } from 'node:http';

export interface DynamoProxy {
  readonly endpoint: string;
  /** Operations seen since the last reset, e.g. { GetItem: 1 }. */
  readonly calls: Map<string, number>;
  throttle: boolean;
  reset(): void;
  close(): Promise<void>;
}

export async function startDynamoProxy(target: string): Promise<DynamoProxy> {
  const upstream = new URL(target);
  const calls = new Map<string, number>();
  const state = { throttle: false };
  const server: Server = createServer((req, res) => {
    const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? 'unknown';
    calls.set(operation, (calls.get(operation) ?? 0) + 1);
    if (state.throttle) {
      req.resume();
      res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
      res.end(
        JSON.stringify({
          __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
          message: 'Injected throttling',
        }),
      );
      return;
    }
    const forward = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', (error) => {
      res.writeHead(502);
      res.end(String(error));
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no port');
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    calls,
    get throttle() {
      return state.throttle;
    },
    set throttle(value: boolean) {
      state.throttle = value;
    },
    reset: () => {
      calls.clear();
      state.throttle = false;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => {
          if (error) reject(error);
          else resolve();
        });
      }),
  };
}
