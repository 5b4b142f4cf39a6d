/**
 * Who may use the local stack's control plane: the `/_local/…` commands, which take no token,
 * and the emulated FlushStageAuthorizersCache. Binding to 127.0.0.1 keeps other machines out
 * but not a web page: a page on evil.example whose name the attacker re-points at 127.0.0.1
 * (DNS rebinding) is same-origin with the stack as far as the browser knows. Its requests
 * still say `Host: evil.example`, and a page of another origin says so in `Origin` or
 * `Sec-Fetch-Site`; tools on this machine (npm run local, curl, the SDK) send neither.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { headerValue } from '../../shared/headers';

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'] as const;

export interface Refusal {
  readonly status: 403 | 421;
  readonly message: string;
}

/**
 * A loopback name, alone or with this server's port: the Host of a request made to this
 * server's URL by name. Any other port means a proxy or tunnel relayed it, and the stack
 * cannot tell for whom.
 */
export function isLoopbackHost(host: string | undefined, port: number): boolean {
  if (host === undefined) return false;
  const given = host.toLowerCase();
  return LOOPBACK_NAMES.some((name) => given === name || given === `${name}:${String(port)}`);
}

function isOwnOrigin(origin: string, port: number): boolean {
  return LOOPBACK_NAMES.some((name) => origin.toLowerCase() === `http://${name}:${String(port)}`);
}

/** Why a control request must not run, or undefined when it may. */
export function refuseControlRequest(
  headers: Readonly<Record<string, string>>,
  port: number,
): Refusal | undefined {
  if (!isLoopbackHost(headerValue(headers, 'host'), port)) {
    return {
      status: 421,
      message: `The local stack's control commands answer only requests addressed to localhost, 127.0.0.1 or [::1] (port ${String(port)} or none)`,
    };
  }
  const origin = headerValue(headers, 'origin');
  const site = headerValue(headers, 'sec-fetch-site');
  if (
    (origin !== undefined && !isOwnOrigin(origin, port)) ||
    (site !== undefined && site !== 'same-origin' && site !== 'none')
  ) {
    return {
      status: 403,
      message:
        "The local stack's control commands refuse requests from a web page of another origin",
    };
  }
  return undefined;
}

/** Constant-time: hashing first gives equal lengths, so neither length nor content leaks. */
export function sameSecret(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}
