import type { Authenticator } from './tokens.js';

/** How the API authenticates callers and guards against browsers and floods. */
export interface AuthSettings {
  /**
   * `tokens`: every route but the public ones needs a bearer token; `open`: auth is off and every
   * caller acts as admin of every namespace (allowed on loopback, or when the operator insists).
   */
  mode: 'tokens' | 'open';
  /** Asked in turn for each bearer token: the tokens file and environment, then TokenReview. */
  authenticators: Authenticator[];
  /** /metrics answers without a token (for a Prometheus that scrapes without one). */
  openMetrics: boolean;
  /**
   * Host header names accepted (lower case, no port); undefined accepts any. A server on loopback
   * accepts only loopback names, so a page whose name rebinds to 127.0.0.1 is refused.
   */
  allowedHosts?: string[];
  /** Origins (scheme://host:port) a browser may call the API from besides its own; empty: none, and no CORS headers. */
  corsOrigins: string[];
  /** Invoking requests (invoke, batch, cancel, events) per token per second; 0: no limit. */
  invokeRate: number;
  /** Executions queued in one namespace past which invocations are refused; 0: no limit. */
  maxQueuedPerNamespace: number;
}

/** Settings of an API with auth off and no limits: for tests of routes alone. */
export const openSettings: AuthSettings = { mode: 'open', authenticators: [], openMetrics: true, corsOrigins: [], invokeRate: 0, maxQueuedPerNamespace: 0 };
