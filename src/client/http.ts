import { PontoonUnreachableError, apiErrorFrom, asError, unreachableReason } from './errors.js';

/** One HTTP request to the API, before the base URL is applied. */
export interface ApiRequest {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  headers?: Record<string, string | undefined>;
  /** A JSON value to send; `undefined` sends no body at all. */
  body?: unknown;
  /** A body sent as is, such as a YAML document; takes the place of `body`. */
  text?: { contentType: string; content: string | Uint8Array };
  signal?: AbortSignal;
}

/** A successful answer: its status, headers and the decoded JSON body. */
export interface ApiResponse<T> {
  status: number;
  headers: Headers;
  body: T;
}

/** Builds the absolute URL of a request against a base URL, dropping undefined query values. */
export function requestUrl(baseUrl: string, path: string, query?: ApiRequest['query']): URL {
  const url = new URL(baseUrl.replace(/\/+$/, '') + path);
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined) url.searchParams.set(key, String(value));
  }
  return url;
}

/**
 * Sends a request with the global `fetch` (undici keeps connections alive by default, so a client
 * reuses them) and decodes the answer: JSON on 2xx, a `PontoonApiError` otherwise, and a
 * `PontoonUnreachableError` when no answer came.
 */
export async function sendRequest<T>(baseUrl: string, request: ApiRequest): Promise<ApiResponse<T>> {
  const response = await openRequest(baseUrl, request, 'application/json');
  const text = await response.text();
  if (!response.ok) throw apiErrorFrom(response.status, text);
  return { status: response.status, headers: response.headers, body: (text === '' ? undefined : JSON.parse(text)) as T };
}

/** Sends a request and answers the raw response, mapping only a missing answer to an error. */
export async function openRequest(baseUrl: string, request: ApiRequest, accept: string): Promise<Response> {
  const url = requestUrl(baseUrl, request.path, request.query);
  const headers: Record<string, string> = { accept };
  for (const [name, value] of Object.entries(request.headers ?? {})) {
    if (value !== undefined) headers[name] = value;
  }
  let body: string | Uint8Array | undefined;
  if (request.text !== undefined) {
    body = request.text.content;
    headers['content-type'] = request.text.contentType;
  } else if (request.body !== undefined) {
    body = JSON.stringify(request.body);
    headers['content-type'] = 'application/json';
  }
  try {
    return await fetch(url, { method: request.method, headers, body: body as RequestInit['body'], signal: request.signal });
  } catch (thrown) {
    const error = asError(thrown);
    if (error.name === 'AbortError') throw error;
    const reason = unreachableReason(thrown);
    if (reason !== undefined) throw new PontoonUnreachableError(baseUrl, reason);
    throw error;
  }
}
