/** Error codes the API returns; each maps to one HTTP status. */
export type ErrorCode =
  | 'INVALID_SPEC'
  | 'INVALID_REQUEST'
  | 'INVALID_INPUT'
  | 'PAYLOAD_TOO_LARGE'
  | 'FUNCTION_NOT_FOUND'
  | 'EXECUTION_NOT_FOUND'
  | 'ATTEMPT_NOT_FOUND'
  | 'RULE_NOT_FOUND'
  | 'EXECUTION_FINISHED'
  | 'BUILD_FAILED'
  | 'INVALID_PACKAGE'
  | 'INVALID_EVENT'
  | 'INVALID_WINDOW'
  | 'CONFLICT'
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'NOT_READY'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NAMESPACE_NOT_FOUND'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'RATE_LIMITED'
  | 'QUEUE_FULL'
  | 'INTERNAL';

const statusByCode: Record<ErrorCode, number> = {
  INVALID_SPEC: 422,
  INVALID_REQUEST: 400,
  INVALID_INPUT: 400,
  PAYLOAD_TOO_LARGE: 413,
  FUNCTION_NOT_FOUND: 404,
  EXECUTION_NOT_FOUND: 404,
  ATTEMPT_NOT_FOUND: 404,
  RULE_NOT_FOUND: 404,
  EXECUTION_FINISHED: 409,
  BUILD_FAILED: 422,
  // A corrupt archive, or one with an entry that would land outside its root.
  INVALID_PACKAGE: 400,
  INVALID_EVENT: 400,
  // Each field is well formed, but together they ask for no window (since after until) or too many buckets.
  INVALID_WINDOW: 422,
  CONFLICT: 409,
  // As the IETF Idempotency-Key draft says for a key reused with a different request payload.
  IDEMPOTENCY_KEY_REUSED: 422,
  NOT_READY: 503,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  // A namespace where the caller holds no role answers as one that does not exist (never 403), so
  // names in other namespaces do not leak.
  NAMESPACE_NOT_FOUND: 404,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  QUEUE_FULL: 429,
  INTERNAL: 500,
};

/** One problem with one field, as named by a JSON path such as `spec.retry.limit`. */
export interface FieldProblem {
  field: string;
  message: string;
}

/** A typed error that crosses the API boundary with a code, a status and details. */
export class PontoonError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'PontoonError';
    this.status = statusByCode[code];
  }
}

/** Coerces anything thrown into an Error, so every catch can read `.message`. */
export function asError(thrown: unknown): Error {
  return thrown instanceof Error ? thrown : new Error(String(thrown));
}
