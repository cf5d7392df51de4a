import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Parser, parseDocument } from 'yaml';
import { PontoonError, asError } from '../domain/errors.js';
import { checkJsonLimits, maxJsonDepth, type JsonLimitBreach } from '../domain/json-limits.js';

/** The error for a body or value beyond a limit; `what` names it (`body`, `the event`…). */
export function jsonLimitError(breach: JsonLimitBreach, what: string): PontoonError {
  return breach.limit === 'depth'
    ? new PontoonError('INVALID_INPUT', `${what} nests arrays and objects more than ${breach.max} levels deep, the limit`, { limit: 'depth', max: breach.max })
    : new PontoonError('PAYLOAD_TOO_LARGE', `${what} expands to more than ${breach.max} bytes of JSON (YAML aliases count once per use), the payload limit`, { limit: 'size', max: breach.max });
}

/** Parses JSON text and refuses a value nested deeper than the limit. */
export function parseJsonBody(text: string, what = 'body'): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (thrown) {
    throw new PontoonError('INVALID_INPUT', `${what} is not valid JSON: ${asError(thrown).message}`);
  }
  const breach = checkJsonLimits(value, { maxDepth: maxJsonDepth });
  if (breach) throw jsonLimitError(breach, what);
  return value;
}

/**
 * Deepest collection nesting in YAML's concrete syntax tree, read without recursion: composing a
 * document recurses once per level and overflows the stack at about 900 levels.
 */
function yamlDepth(text: string): number {
  type Token = { type?: string; value?: Token; items?: { key?: Token | null; value?: Token | null }[] };
  let deepest = 0;
  const pending: { token: Token; depth: number }[] = [...new Parser().parse(text)].map((token) => ({ token: token as Token, depth: 0 }));
  while (pending.length > 0) {
    const { token, depth } = pending.pop()!;
    if (token.type === 'document' && token.value) pending.push({ token: token.value, depth });
    if (!token.items) continue;
    deepest = Math.max(deepest, depth + 1);
    if (deepest > maxJsonDepth) return deepest;
    for (const item of token.items) {
      if (item.key) pending.push({ token: item.key, depth: depth + 1 });
      if (item.value) pending.push({ token: item.value, depth: depth + 1 });
    }
  }
  return deepest;
}

/**
 * Parses a YAML body and bounds what it becomes: its depth, and its size once written as JSON
 * (an anchor used many times is stored once per use, so a small body can expand many times over).
 */
export function parseYamlBody(text: string, maxBytes: number): unknown {
  if (yamlDepth(text) > maxJsonDepth) throw jsonLimitError({ limit: 'depth', max: maxJsonDepth }, 'body');
  const document = parseDocument(text);
  if (document.errors.length > 0) throw new PontoonError('INVALID_INPUT', `body is not valid YAML: ${document.errors[0].message}`);
  let value: unknown;
  try {
    value = document.toJS();
  } catch (thrown) {
    throw new PontoonError('INVALID_INPUT', `body is not valid YAML: ${asError(thrown).message}`);
  }
  const breach = checkJsonLimits(value, { maxDepth: maxJsonDepth, maxBytes });
  if (breach) throw jsonLimitError(breach, 'body');
  return value;
}

/** Media types read as JSON: `application/json` and its structured-syntax kin (`application/*+json`). */
const jsonType = /^application\/(?:[\w.-]+\+)?json$/;

/**
 * Bodies are JSON sent as `application/json`, or YAML where documented (function deploys). Any
 * other type is refused with 415, and so is a body with no type: a browser sends `text/plain`,
 * form encodings or no type cross-site without asking first, and reading those as JSON let any web
 * page drive the API. An empty body is `null`. Both refuse values nested deeper than
 * `maxJsonDepth`, and a YAML body may not expand past the route's body limit.
 */
export function installBodyParsers(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(['application/yaml', 'application/x-yaml', 'text/yaml'], { parseAs: 'string' }, (request, body, done) => {
    try {
      done(null, (body as string).trim() === '' ? null : parseYamlBody(body as string, request.routeOptions.bodyLimit));
    } catch (thrown) {
      done(thrown as PontoonError, undefined);
    }
  });
  const json = (request: FastifyRequest, body: string | Buffer, done: (error: Error | null, value?: unknown) => void) => {
    try {
      const type = (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
      if (!jsonType.test(type)) {
        throw new PontoonError('UNSUPPORTED_MEDIA_TYPE', type === '' ? 'the body has no content type: send it as application/json (or application/yaml where documented)' : `content type ${type} is not accepted: send application/json (or application/yaml where documented)`, { contentType: type || null });
      }
      done(null, (body as string).trim() === '' ? null : parseJsonBody(body as string));
    } catch (thrown) {
      done(thrown as PontoonError, undefined);
    }
  };
  // The same parser under its own type too: fastify remembers the parser of a type it has by
  // name, where a request sent to the catch-all has its Content-Type parsed anew every time.
  app.addContentTypeParser('application/json', { parseAs: 'string' }, json);
  app.addContentTypeParser('*', { parseAs: 'string' }, json);
}
