import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PontoonError, asError, type ErrorCode } from '../domain/errors.js';

/** Codes of the answers the HTTP layer gives on its own, beside the domain's. */
export type HttpErrorCode = ErrorCode | 'NOT_FOUND' | 'METHOD_NOT_ALLOWED' | 'URI_TOO_LONG' | 'HEADERS_TOO_LARGE' | 'REQUEST_TIMEOUT' | 'BAD_REQUEST';

/** The JSON body of every error answer. */
export interface ErrorBody {
  error: { code: HttpErrorCode; message: string; details?: unknown };
}

/** An error answer before it is sent: its status and body. */
interface ErrorAnswer {
  status: number;
  body: ErrorBody;
}

/** JSON schema of ErrorBody, for the OpenAPI document. */
export const errorBodySchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} },
      required: ['code', 'message'],
    },
  },
} as const;

/** Longest path parameter the router matches; longer answers 414 (a name is at most 63, an id 64). */
export const maxParamLength = 1024;

function answer(status: number, code: HttpErrorCode, message: string, details?: unknown): ErrorAnswer {
  return { status, body: { error: { code, message, details } } };
}

/** Maps fastify's own errors (validation, body limits, parsing, routing) to coded answers. */
function toAnswer(error: FastifyError, payloadLimit: number): ErrorAnswer {
  if (error instanceof PontoonError) return answer(error.status, error.code, error.message, error.details);
  if (error.validation) {
    const problems = error.validation.map((issue) => ({
      field: `${error.validationContext ?? 'request'}${issue.instancePath.replace(/\//g, '.')}`,
      message: issue.message ?? 'is invalid',
    }));
    return answer(400, 'INVALID_REQUEST', `invalid request: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`, { problems });
  }
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return answer(413, 'PAYLOAD_TOO_LARGE', `request body exceeds the payload limit of ${payloadLimit} bytes`, { limit: payloadLimit });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return answer(415, 'INVALID_REQUEST', 'unsupported content type: send JSON (application/json) or YAML (application/yaml)');
    case 'FST_ERR_BAD_URL':
      return answer(400, 'BAD_REQUEST', 'the URL is not valid: a percent-encoded sequence in its path does not decode (encode each byte of UTF-8 as %XX)');
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return answer(414, 'URI_TOO_LONG', `a path segment is longer than ${maxParamLength} characters; names are at most 63`, { limit: maxParamLength });
  }
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
    return answer(error.statusCode, 'INVALID_REQUEST', error.message);
  }
  return answer(500, 'INTERNAL', 'internal error: see the server log', { message: error.message });
}

function send(reply: FastifyReply, { status, body }: ErrorAnswer): void {
  void reply.status(status).type('application/json; charset=utf-8').send(JSON.stringify(body));
}

/** Answers `{error: {code, message, details}}` with a status, from a route or a hook. */
export function sendError(reply: FastifyReply, status: number, code: HttpErrorCode, message: string, details?: unknown): void {
  send(reply, answer(status, code, message, details));
}

/**
 * Fastify's `frameworkErrors` option: errors the router meets before any route (a path that does
 * not percent-decode, a parameter past maxParamLength) get the same shape as every other error.
 */
export function frameworkErrors(payloadLimit: number) {
  return (error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void => send(reply, toAnswer(error, payloadLimit));
}

/**
 * Fastify's `clientErrorHandler` option: errors of the HTTP parser, before there is a request
 * (headers or URL past Node's 16 KiB header limit, a malformed request line). There is no reply
 * object yet, so the answer is written on the socket, which is then closed.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const { status, body } =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? answer(431, 'HEADERS_TOO_LARGE', 'the request line and headers exceed the server’s header size limit (16 KiB, the URL included); send large values in the body')
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? answer(408, 'REQUEST_TIMEOUT', 'the request did not arrive in time')
        : answer(400, 'BAD_REQUEST', 'the request is not valid HTTP/1.1');
  const text = JSON.stringify(body);
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`);
  }
  socket.destroy(error);
}

/** Installs the error and not-found handlers that answer `{error: {code, message, details}}`. */
export function installErrorHandling(app: FastifyInstance, payloadLimit: number): void {
  app.setErrorHandler((thrown: FastifyError, request, reply) => {
    const error = toAnswer(thrown, payloadLimit);
    if (error.status >= 500) request.log.error({ err: asError(thrown), reqId: request.id }, 'request failed');
    send(reply, error);
  });
  app.setNotFoundHandler((request, reply) => {
    sendError(reply, 404, 'NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}; see /openapi.json`);
  });
}

/** The order of methods in an Allow header: the usual ones first, as RFC 9110 lists them. */
const allowOrder = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];

/**
 * Makes a request for a path that exists, with a method it does not serve, answer 405 with an
 * `Allow` header (RFC 9110 §15.5.6) rather than 404. Call before registering the routes; the
 * returned function adds the 405 routes once they are all registered.
 */
export function answerUnservedMethods(app: FastifyInstance): () => void {
  const methodsByUrl = new Map<string, Set<string>>();
  app.addHook('onRoute', (route) => {
    const methods = methodsByUrl.get(route.url) ?? new Set<string>();
    for (const method of [route.method].flat()) methods.add(method.toUpperCase());
    methodsByUrl.set(route.url, methods);
  });
  return () => {
    // Every method the router knows (QUERY, TRACE… included), so none falls through to a 404 or a body error.
    const known = app.supportedMethods;
    const order = (method: string) => (allowOrder.indexOf(method) + 1 || allowOrder.length + 1);
    for (const [url, served] of [...methodsByUrl]) {
      const allow = [...served].sort((a, b) => order(a) - order(b)).join(', ');
      const missing = known.filter((method) => !served.has(method));
      if (missing.length === 0) continue;
      app.route({
        method: [...missing],
        url,
        schema: { hide: true },
        // A 405 says only what the OpenAPI document says: no token needed to learn it.
        config: { access: { kind: 'public' } },
        // Answered before the body is read: no parse error may hide the 405.
        onRequest: async (request, reply) => {
          void reply.header('allow', allow);
          sendError(reply, 405, 'METHOD_NOT_ALLOWED', `${request.method} is not allowed on ${url}; allowed: ${allow}`, { allow: allow.split(', ') });
          return reply;
        },
        handler: async () => undefined,
      });
    }
  };
}
