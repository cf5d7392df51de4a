import type { FastifyRequest } from 'fastify';
import { PontoonError } from '../../domain/errors.js';

/** The host name of a Host header (`[::1]:7070` → `[::1]`), lower case, or undefined if it is not one. */
function parseHostName(host: string): string | undefined {
  try {
    return new URL(`http://${host}`).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

/**
 * Host headers seen lately and their names: every request of a client sends the same one, and a
 * URL parse per request was ~15 µs of the server's CPU on each invoke. Bounded, as the header is
 * the client's to choose: once full, it starts over.
 */
const hostNames = new Map<string, string | undefined>();
const hostNamesKept = 64;

/** hostName, remembered per header value. */
function hostName(host: string | undefined): string | undefined {
  if (!host) return undefined;
  if (hostNames.has(host)) return hostNames.get(host);
  const name = parseHostName(host);
  if (hostNames.size >= hostNamesKept) hostNames.clear();
  hostNames.set(host, name);
  return name;
}

/** Host names a loopback server answers to. */
export const loopbackHostNames = ['localhost', '127.0.0.1', '[::1]'];

/**
 * Refuses a Host header outside `allowed` (DNS rebinding: a page whose own name resolves to this
 * server sends its own name as Host).
 */
export function checkHost(request: FastifyRequest, allowed: string[] | undefined): void {
  if (allowed === undefined) return;
  const name = hostName(request.headers.host);
  if (name !== undefined && allowed.includes(name)) return;
  throw new PontoonError('FORBIDDEN', `Host ${JSON.stringify(request.headers.host ?? '')} is not a name of this server (allowed: ${allowed.join(', ')}); add it with --allowed-host`, { host: request.headers.host ?? null });
}

/**
 * Refuses a request a browser sent from another site's page: an Origin that is neither this
 * server's own nor a configured CORS origin, or a cross-site fetch without one. Programs (curl,
 * the CLI) send neither header.
 */
export function checkOrigin(request: FastifyRequest, corsOrigins: string[]): void {
  const origin = request.headers.origin;
  if (origin !== undefined) {
    if (corsOrigins.includes(origin)) return;
    let sameOrigin = false;
    try {
      sameOrigin = new URL(origin).host.toLowerCase() === (request.headers.host ?? '').toLowerCase();
    } catch {
      // `null` and other opaque origins are never this server's
    }
    if (sameOrigin) return;
    throw new PontoonError('FORBIDDEN', `requests from the page at ${origin} are refused: browsers may call this API only from its own dashboard or an origin named with --cors-origin`, { origin });
  }
  if (request.headers['sec-fetch-site'] === 'cross-site') {
    throw new PontoonError('FORBIDDEN', 'a cross-site browser request is refused: browsers may call this API only from its own dashboard or an origin named with --cors-origin');
  }
}
