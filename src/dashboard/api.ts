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

/** A client of the API that served this page, in the current namespace. */
export function client(): PontoonClient {
  return new PontoonClient({ url: location.origin, namespace: currentNamespace() });
}

/** The API's own words for an error: its code, message and the problems it named. */
export function describeError(error: unknown): { code: string; message: string; problems: string[] } {
  if (error instanceof PontoonApiError) {
    const details = error.details as { problems?: { field: string; message: string }[] } | undefined;
    const problems = (details?.problems ?? []).map((problem) => `${problem.field}: ${problem.message}`);
    return { code: error.code, message: error.message, problems };
  }
  return { code: 'ERROR', message: error instanceof Error ? error.message : String(error), problems: [] };
}
