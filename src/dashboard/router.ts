// Hash routes (#/executions?status=failed) so that the server serves one page and every view has
// a link that can be bookmarked and opened with the keyboard.
import { useEffect, useState } from 'preact/hooks';

/** A parsed location: the path segments and the query. */
export interface Route {
  path: string[];
  query: URLSearchParams;
}

/** The route of a hash such as `#/executions/abc?x=1`. */
export function parseRoute(hash: string): Route {
  const [path, query] = hash.replace(/^#\/?/, '').split('?');
  return { path: path.split('/').filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(query ?? '') };
}

/** The hash of a path and a query; empty values are left out. */
export function href(path: string, query: Record<string, string | undefined> = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value) params.set(key, value);
  const text = params.toString();
  return `#/${path}${text ? `?${text}` : ''}`;
}

/** Goes to a hash (adds a history entry). */
export function navigate(hash: string): void {
  location.hash = hash;
}

/** The current route, updated when the hash changes. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
