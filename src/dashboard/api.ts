// The dashboard's one way to Pontoon: the typed API client, on the origin that served the page.
import { PontoonApiError, PontoonClient } from '../client/index.js';

/** The namespace the dashboard shows, kept across reloads. */
export function currentNamespace(): string {
  return localStorage.getItem('pontoon.namespace') ?? 'default';
}

/** Remembers the namespace to show. */
export function setNamespace(namespace: string): void {
  localStorage.setItem('pontoon.namespace', namespace);
}

const tokenKey = 'pontoon.token';

/** The bearer token given for this browser session, if any (sessionStorage: gone when the tab closes). */
export function currentToken(): string | undefined {
  return sessionStorage.getItem(tokenKey) ?? undefined;
}

/** Keeps a token for this session, or forgets it. */
export function setToken(token: string | undefined): void {
  if (token) sessionStorage.setItem(tokenKey, token);
  else sessionStorage.removeItem(tokenKey);
}

/** The event the page listens for to ask for a token: the API answered 401. */
export const tokenNeededEvent = 'pontoon:token-needed';

/** A client of the API that served this page, in the current namespace, with the session's token. */
export function client(): PontoonClient {
  return new PontoonClient({ url: location.origin, namespace: currentNamespace(), token: currentToken() });
}

/** The API's own words for an error: its code, message and the problems it named. */
export function describeError(error: unknown): { code: string; message: string; problems: string[] } {
  if (error instanceof PontoonApiError) {
    // Any view that meets a 401 has the page ask for a token.
    if (error.status === 401) window.dispatchEvent(new Event(tokenNeededEvent));
    const details = error.details as { problems?: { field: string; message: string }[] } | undefined;
    const problems = (details?.problems ?? []).map((problem) => `${problem.field}: ${problem.message}`);
    return { code: error.code, message: error.message, problems };
  }
  return { code: 'ERROR', message: error instanceof Error ? error.message : String(error), problems: [] };
}
