import type { FastifyError, FastifyInstance } from 'fastify';
import { PontoonError, asError } from '../domain/errors.js';

/** The JSON body of every error answer. */
export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

/** JSON schema of ErrorBody, for the OpenAPI document. */
export const errorBodySchema = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} },
      required: ['code', 'message'],
    },
  },
} as const;

/** Maps fastify's own errors (validation, body limits, parsing) to coded Pontoon errors. */
function toPontoonError(error: FastifyError, payloadLimit: number): PontoonError {
  if (error instanceof PontoonError) return error;
  if (error.validation) {
    const problems = error.validation.map((issue) => ({
      field: `${error.validationContext ?? 'request'}${issue.instancePath.replace(/\//g, '.')}`,
      message: issue.message ?? 'is invalid',
    }));
    return new PontoonError('INVALID_REQUEST', `invalid request: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`, { problems });
  }
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return new PontoonError('PAYLOAD_TOO_LARGE', `request body exceeds the payload limit of ${payloadLimit} bytes`, { limit: payloadLimit });
  }
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return new PontoonError('INVALID_REQUEST', `unsupported content type: send JSON (application/json) or YAML (application/yaml)`);
  }
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
    return new PontoonError('INVALID_REQUEST', error.message);
  }
  return new PontoonError('INTERNAL', 'internal error: see the server log', { message: error.message });
}

/** Installs the error and not-found handlers that answer `{error: {code, message, details}}`. */
export function installErrorHandling(app: FastifyInstance, payloadLimit: number): void {
  app.setErrorHandler((thrown: FastifyError, request, reply) => {
    const error = toPontoonError(thrown, payloadLimit);
    if (error.code === 'INTERNAL') request.log.error({ err: asError(thrown) }, 'request failed');
    const body: ErrorBody = { error: { code: error.code, message: error.message, details: error.details } };
    void reply.status(error.status).type('application/json').send(JSON.stringify(body));
  });
  app.setNotFoundHandler((request, reply) => {
    const body: ErrorBody = { error: { code: 'NOT_FOUND', message: `no route ${request.method} ${request.url}; see /openapi.json` } };
    void reply.status(404).type('application/json').send(JSON.stringify(body));
  });
}
