import { isIP } from 'node:net';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { AuthSettings } from '../api/auth/auth-settings.js';
import { loopbackHostNames } from '../api/auth/browser-guard.js';
import { TokenStore, tokensVariable } from '../api/auth/token-file.js';
import type { Authenticator } from '../api/auth/tokens.js';

/** The auth options of `pontoon up` (flags and environment variables of the same names). */
export interface AuthOptions {
  /** The tokens file (YAML or JSON). Default: tokens.yaml in the data dir, if it exists. */
  tokensFile?: string;
  /** A tokens document given whole (PONTOON_TOKENS), beside the file. */
  tokens?: string;
  /** Also accept Kubernetes tokens, checked with a TokenReview (roles from the document's subjects). */
  tokenReview?: boolean;
  /** Run with auth off on an address other than loopback. */
  allowUnauthenticated?: boolean;
  /** /metrics without a token. */
  openMetrics?: boolean;
  /** Host names the server answers to besides the address it binds. */
  allowedHosts?: string[];
  /** Origins a browser may call the API from (CORS); none by default. */
  corsOrigins?: string[];
  /** Invoking requests per token per second. Default 1000 with auth on, no limit with auth off. */
  invokeRate?: number;
  /** Executions queued per namespace. Default 100000 with auth on, no limit with auth off. */
  maxQueuedPerNamespace?: number;
}

/** The name of the tokens file in a data dir, read when no --tokens-file is given. */
export const defaultTokensFileName = 'tokens.yaml';

/** True if `host` (a bind address) only answers this machine. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

/**
 * Decides how the API authenticates: tokens when any are configured (or TokenReview is on);
 * otherwise open, which is allowed on loopback (and said so in the log) and refused elsewhere
 * unless the operator passes --allow-unauthenticated.
 */
export async function setUpAuth(
  options: AuthOptions,
  context: { host: string; dataDir: string; logger: Logger; kubeApi: () => Promise<import('../kubernetes/kube-api.js').KubeApi> },
): Promise<AuthSettings> {
  const store = new TokenStore(options.tokensFile ?? join(context.dataDir, defaultTokensFileName), options.tokens);
  const authenticators: Authenticator[] = [store];
  if (options.tokenReview) {
    const { TokenReviewAuthenticator } = await import('../kubernetes/token-review.js');
    authenticators.push(new TokenReviewAuthenticator(await context.kubeApi(), () => store.subjects()));
  }
  const on = options.tokenReview === true || store.configured();
  const loopback = isLoopback(context.host);
  if (!on) {
    if (!loopback && !options.allowUnauthenticated) {
      throw new Error(
        `refusing to listen on ${context.host} without auth: anyone who reaches it could run programs here. Create a token (pontoon token create --role admin), give a tokens file (--tokens-file) or ${tokensVariable}, or pass --allow-unauthenticated if this network is trusted`,
      );
    }
    context.logger.warn(
      { host: context.host },
      loopback ? 'auth is off: no tokens are configured, and on loopback every local caller acts as admin (pontoon token create --role admin turns it on)' : 'auth is off (--allow-unauthenticated): every caller that reaches this address acts as admin',
    );
  } else {
    context.logger.info({ tokenReview: options.tokenReview === true }, 'auth is on: every route but /healthz, /readyz and the dashboard page needs a bearer token');
  }
  const configuredHosts = (options.allowedHosts ?? []).map((name) => name.toLowerCase());
  return {
    mode: on ? 'tokens' : 'open',
    authenticators,
    openMetrics: options.openMetrics === true,
    // A server bound to loopback answers only loopback names, which stops DNS rebinding; elsewhere
    // its names are unknown unless given, and the tokens protect it.
    allowedHosts: loopback ? [...loopbackHostNames, ...configuredHosts] : configuredHosts.length > 0 ? [...configuredHosts, context.host.toLowerCase()] : undefined,
    corsOrigins: options.corsOrigins ?? [],
    invokeRate: options.invokeRate ?? (on ? 1000 : 0),
    maxQueuedPerNamespace: options.maxQueuedPerNamespace ?? (on ? 100_000 : 0),
  };
}
