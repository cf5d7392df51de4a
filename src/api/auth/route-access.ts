import type { Action } from '../../domain/access.js';

/**
 * What a route requires of its caller; every route declares one in `config.access`:
 *
 * ```ts
 * app.get('/v1/namespaces/:ns/things', { config: { access: inNamespace('read') }, schema }, handler)
 * ```
 *
 * - `public`: anyone (health checks, the dashboard's static files);
 * - `own-credential`: the route checks a credential of its own and user tokens play no part. This
 *   is the mark for routes called by attempts or replicas with their per-attempt token (such as a
 *   package fetch): the user auth hook lets the request through untouched and the route must
 *   refuse it itself;
 * - `namespace`: the action in the namespace of the `:ns` parameter; a caller with no role there
 *   gets 404;
 * - `some-namespace`: the action in at least one namespace; the route shows only the caller's
 *   namespaces (lists across namespaces, metrics);
 * - `authenticated`: any recognised caller (documents that hold no data, such as the schema).
 *
 * A route that declares nothing is treated as `namespace`/`admin` (or `some-namespace`/`admin`
 * without `:ns`), and the auth matrix test fails until it declares its access.
 */
export type RouteAccess =
  | { kind: 'public' }
  | { kind: 'own-credential' }
  | { kind: 'namespace'; action: Action }
  | { kind: 'some-namespace'; action: Action }
  | { kind: 'authenticated' };

declare module 'fastify' {
  interface FastifyContextConfig {
    /** What the route requires of its caller; see RouteAccess. */
    access?: RouteAccess;
  }
}

/** Anyone may call the route. */
export const publicAccess: RouteAccess = { kind: 'public' };
/** The route checks its own (per-attempt) credential; user auth does not apply. */
export const ownCredential: RouteAccess = { kind: 'own-credential' };
/** Any recognised caller. */
export const authenticated: RouteAccess = { kind: 'authenticated' };

/** The action in the namespace named by the route's `:ns` parameter. */
export function inNamespace(action: Action): RouteAccess {
  return { kind: 'namespace', action };
}

/** The action in at least one namespace; the route filters to the caller's namespaces. */
export function inSomeNamespace(action: Action): RouteAccess {
  return { kind: 'some-namespace', action };
}

/** What a route that declared nothing requires: the most, so a forgotten declaration fails closed. */
export function undeclaredAccess(url: string): RouteAccess {
  return url.includes(':ns') ? inNamespace('admin') : inSomeNamespace('admin');
}
