/**
 * The local stack's HTTP listener: requests go to the gateway emulation, except the few
 * control paths a developer drives by hand (`/_local/…`) and API Gateway's own cache flush
 * calls (REST FlushStageAuthorizersCache, HTTP API ResetAuthorizersCache), which the
 * management API makes on emergency revocation and the stage flusher on every revocation.
 * Both are answered only to tools on this machine (control-guard.ts); the flushes only to the
 * stack's own SDK clients, which carry this run's session token.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { headerValue } from '../../shared/headers';
import { refuseControlRequest, sameSecret } from './control-guard';
import type { GatewayResponse, LocalGateway } from '../aws/gateway';
import { flushRequest, flushTargetKey, type FlushTargets } from '../aws/flush-targets';

const MAX_BODY_BYTES = 1_048_576;

export type ControlHandler = (body: unknown) => Promise<unknown>;

/** A control command's refusal: its status and message go to the caller as they are. */
export class ControlError extends Error {
  constructor(
    readonly status: 400 | 404 | 409,
    message: string,
  ) {
    super(message);
    this.name = 'ControlError';
  }
}

export interface ServerHooks {
  /**
   * `METHOD /_local/name` → handler; the JSON it returns is the response body. Without it the
   * listener serves its API only (a consumer API's own port): `/_local/…` and the flush paths
   * are then paths of that API like any other, and API Gateway's management endpoint is the
   * platform's port alone.
   */
  readonly control?: ReadonlyMap<string, ControlHandler>;
  /** One line per API request, for the console. */
  readonly onRequest?: (line: string) => void;
  /**
   * The stages a flush call may address, each with the gateway serving it.
   * @default - the served gateway's own stage only
   */
  readonly flushTargets?: FlushTargets;
  /**
   * Put before each request line, to tell the APIs apart on one console, e.g. `[orders/prod] `.
   * @default ''
   */
  readonly label?: string;
  /**
   * The command-line option that picks this port, for the message when it is taken.
   * @default '--port'
   */
  readonly portOption?: string;
}

/**
 * The environment the stack's own SDK clients run with: API Gateway's endpoint here, and this
 * run's session token (as a Lambda role's credentials carry one). The SDK sends the token as
 * `X-Amz-Security-Token`; the emulators ignore it, the emulated flush requires it.
 */
export interface SdkEnv {
  readonly AWS_ENDPOINT_URL_API_GATEWAY: string;
  readonly AWS_ENDPOINT_URL_APIGATEWAYV2: string;
  readonly AWS_SESSION_TOKEN: string;
}

/** What the request handler needs to know about the listener it runs in. */
interface Listener {
  readonly port: number;
  readonly sdkEnv: SdkEnv;
}

class BodyTooLarge extends Error {}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLarge();
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function headersOf(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

function json(status: number, value: unknown): GatewayResponse {
  return {
    status,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(value),
    authorizer: 'none',
  };
}

/** An AWS API error as the SDK parses it: the type in `x-amzn-errortype`, a message. */
function awsError(status: number, type: string, message: string): GatewayResponse {
  const response = json(status, { message });
  return { ...response, headers: { ...response.headers, 'x-amzn-errortype': type } };
}

async function route(
  gateway: LocalGateway,
  hooks: ServerHooks,
  listener: Listener,
  method: string,
  url: string,
  request: IncomingMessage,
): Promise<GatewayResponse> {
  const path = url.split('?')[0] ?? url;
  const headers = headersOf(request);
  const controlPlane = hooks.control !== undefined;
  const flush = controlPlane && method === 'DELETE' ? flushRequest(path) : undefined;
  if (flush !== undefined || (controlPlane && path.startsWith('/_local/'))) {
    const refusal = refuseControlRequest(headers, listener.port);
    if (refusal !== undefined) {
      if (flush === undefined) hooks.onRequest?.(`Refused ${method} ${path}: ${refusal.message}`);
      return json(refusal.status, { message: refusal.message });
    }
  }
  let body: string;
  try {
    body = await readBody(request);
  } catch (error) {
    if (error instanceof BodyTooLarge) {
      return json(413, { message: `Request body is larger than ${String(MAX_BODY_BYTES)} bytes` });
    }
    throw error;
  }
  if (flush !== undefined) {
    const token = headerValue(headers, 'x-amz-security-token');
    if (!sameSecret(token, listener.sdkEnv.AWS_SESSION_TOKEN)) {
      // What API Gateway answers to credentials it does not know; the SDK names the error.
      return awsError(
        403,
        'UnrecognizedClientException',
        'The security token included in the request is invalid.',
      );
    }
    const targets =
      hooks.flushTargets ??
      new Map([[flushTargetKey('rest', gateway.restApiId, gateway.stage), gateway]]);
    const target = targets.get(flush.key);
    if (target === undefined)
      return awsError(404, 'NotFoundException', 'Invalid stage identifier specified');
    const flushed = target.flushCache();
    // REST answers 202 with a body, HTTP APIs 204 without.
    return flush.kind === 'rest' ? json(202, { flushed }) : { ...json(204, {}), body: '' };
  }
  // npm run local runs the tokens CLI with this, so its emergency revoke flushes too.
  if (controlPlane && method === 'GET' && path === '/_local/sdk-env') {
    return json(200, listener.sdkEnv);
  }
  if (hooks.control !== undefined && path.startsWith('/_local/')) {
    const handler = hooks.control.get(`${method} ${path}`);
    if (handler === undefined)
      return json(404, { message: `No control command ${method} ${path}` });
    // A web page cannot send this header cross-origin without a preflight, which is never
    // answered: no site open in a browser can rotate secrets here.
    if (method !== 'GET' && request.headers['content-type'] !== 'application/json') {
      return json(415, { message: 'Control commands take Content-Type: application/json' });
    }
    let input: unknown = {};
    if (body.trim() !== '') {
      try {
        input = JSON.parse(body);
      } catch {
        return json(400, { message: 'The request body is not valid JSON' });
      }
    }
    try {
      return json(200, await handler(input));
    } catch (error) {
      if (error instanceof ControlError) return json(error.status, { message: error.message });
      hooks.onRequest?.(`${method} ${path} failed: ${String(error)}`);
      return json(500, { message: `${method} ${path} failed; the local stack's console says why` });
    }
  }
  return gateway.handle({ method, url, headers, body: body === '' ? undefined : body });
}

/**
 * Listen on `host:port` (0: any free port). Rejects with a clear message when the port is
 * taken, before anything else has started.
 */
export async function listen(
  gateway: () => LocalGateway | undefined,
  hooks: ServerHooks,
  host: string,
  port: number,
): Promise<{ server: Server; url: string; sdkEnv: SdkEnv }> {
  const sessionToken = randomBytes(32).toString('base64url');
  const listener = (): Listener => {
    const address = server.address();
    const bound = address !== null && typeof address === 'object' ? address.port : port;
    const url = `http://${host}:${String(bound)}`;
    return {
      port: bound,
      sdkEnv: {
        AWS_ENDPOINT_URL_API_GATEWAY: url,
        AWS_ENDPOINT_URL_APIGATEWAYV2: url,
        AWS_SESSION_TOKEN: sessionToken,
      },
    };
  };
  const server = createServer((request, response) => {
    const started = performance.now();
    const method = request.method ?? 'GET';
    const url = request.url ?? '/';
    const ready = gateway();
    const answer =
      ready === undefined
        ? Promise.resolve(json(503, { message: 'The local stack is still starting' }))
        : route(ready, hooks, listener(), method, url, request);
    answer
      .catch((error: unknown) => {
        hooks.onRequest?.(`${method} ${url.split('?')[0] ?? ''} failed: ${String(error)}`);
        return json(500, { message: 'The local gateway failed; see its console' });
      })
      .then((result) => {
        response.writeHead(result.status, result.headers).end(result.body);
        const path = url.split('?')[0] ?? url;
        if (hooks.control === undefined || !path.startsWith('/_local/')) {
          hooks.onRequest?.(
            `${hooks.label ?? ''}${method} ${path} → ${String(result.status)} in ${(performance.now() - started).toFixed(1)} ms` +
              (result.authorizer === 'none' ? '' : ` (authorizer ${result.authorizer})`),
          );
        }
      })
      .catch(() => undefined);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(
              `Port ${String(port)} on ${host} is already in use (another local stack?). Stop that process or pick another port with ${hooks.portOption ?? '--port'}.`,
            )
          : error,
      );
    });
    server.listen(port, host, () => {
      resolve();
    });
  });
  const { sdkEnv } = listener();
  return { server, url: sdkEnv.AWS_ENDPOINT_URL_API_GATEWAY, sdkEnv };
}

/**
 * Stop accepting connections, let requests in flight finish (up to `graceMs`), then drop the
 * rest. Idle keep-alive connections are closed at once.
 */
export async function closeGracefully(server: Server, graceMs = 5_000): Promise<void> {
  const closed = new Promise<void>((resolve) => {
    server.close(() => {
      resolve();
    });
  });
  server.closeIdleConnections();
  const timer = setTimeout(() => {
    server.closeAllConnections();
  }, graceMs);
  await closed;
  clearTimeout(timer);
}
