/**
 * An error answer of the Pontoon API: the code, status, message and details of its JSON error body
 * (`{"error": {"code", "message", "details"}}`), or a synthetic code when the body was not one.
 */
export class PontoonApiError extends Error {
  constructor(
    /** An API error code such as `FUNCTION_NOT_FOUND`, or `HTTP_<status>` when the body had none. */
    readonly code: string,
    readonly status: number,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'PontoonApiError';
  }
}

/** The server could not be reached at all (refused, unknown host, reset before an answer). */
export class PontoonUnreachableError extends Error {
  constructor(
    readonly url: string,
    readonly reason: string,
  ) {
    super(`cannot reach Pontoon at ${url}: ${reason}`);
    this.name = 'PontoonUnreachableError';
  }
}

interface ErrorBody {
  error?: { code?: unknown; message?: unknown; details?: unknown };
}

/** Builds the error for a non-2xx answer from its status and raw body text. */
export function apiErrorFrom(status: number, bodyText: string): PontoonApiError {
  let body: ErrorBody | undefined;
  try {
    body = JSON.parse(bodyText) as ErrorBody;
  } catch {
    body = undefined;
  }
  const error = body?.error;
  if (error && typeof error.code === 'string') {
    const message = typeof error.message === 'string' ? error.message : error.code;
    return new PontoonApiError(error.code, status, message, error.details);
  }
  const text = bodyText.trim().slice(0, 200);
  return new PontoonApiError(`HTTP_${status}`, status, text === '' ? `the server answered ${status}` : `the server answered ${status}: ${text}`);
}

/** Names why a `fetch` failed before any answer, from the undici error's cause chain. */
export function unreachableReason(thrown: unknown): string | undefined {
  let current: unknown = thrown;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^(E[A-Z]+|UND_ERR_[A-Z_]+)$/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  if (thrown instanceof TypeError && thrown.message === 'fetch failed') return 'fetch failed';
  return undefined;
}

/**
 * Coerces anything thrown into an Error. The client keeps its own copy of the domain's `asError`
 * because it takes only types from the domain, so a browser bundle of it carries no server code.
 */
export function asError(thrown: unknown): Error {
  return thrown instanceof Error ? thrown : new Error(String(thrown));
}
