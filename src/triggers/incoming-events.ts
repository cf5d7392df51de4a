import { CloudEvent, type CloudEventV1 } from 'cloudevents';
import { fullFormats } from 'ajv-formats/dist/formats.js';
import { PontoonError, asError } from '../domain/errors.js';
import { checkJsonLimits, maxJsonDepth } from '../domain/json-limits.js';

/** A received CloudEvent in structured JSON form: its attributes, extensions and `data` or `data_base64`. */
export type ReceivedEvent = CloudEventV1<unknown> & Record<string, unknown>;

/** How the body arrived: `binary` (ce-* headers), `structured` (one JSON event) or `batch`. */
export type ContentMode = 'binary' | 'structured' | 'batch';

const required = ['id', 'source', 'type', 'specversion'] as const;
/** Optional attributes that, when present, must be non-empty strings (CloudEvents 1.0 §3.1.1). */
const optionalStrings = ['datacontenttype', 'dataschema', 'subject', 'time'] as const;
const rfc3339 = fullFormats['date-time'] as { validate: (value: string) => boolean };
/** Base64 as RFC 4648 §4 writes it: whole quanta, padding only at the end. */
const base64Pattern = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function invalid(reason: string, details: Record<string, unknown> = {}): PontoonError {
  return new PontoonError('INVALID_EVENT', `invalid CloudEvent: ${reason}`, { reason, ...details });
}

function lowerCaseHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  return flat;
}

/** The mode of a request, from its content type and ce-* headers (CloudEvents HTTP binding 1.0, §3). */
export function contentMode(headers: Record<string, string>): ContentMode {
  const contentType = (headers['content-type'] ?? '').toLowerCase();
  if (contentType.startsWith('application/cloudevents-batch')) return 'batch';
  if (contentType.startsWith('application/cloudevents')) return 'structured';
  return 'binary';
}

/** The media type of a Content-Type value, lower case, without parameters. */
function mediaType(contentType: string | undefined): string | undefined {
  return contentType?.split(';')[0].trim().toLowerCase() || undefined;
}

/** JSON data: `application/json`, `text/json` and any `+json` type; no content type means JSON too. */
function isJsonType(type: string | undefined): boolean {
  return type === undefined || type === 'application/json' || type === 'text/json' || type.endsWith('+json');
}

/** Text data, kept as a string: `text/*`, XML, or any type that names a charset. */
function isTextType(contentType: string): boolean {
  const type = mediaType(contentType) ?? '';
  return type.startsWith('text/') || type === 'application/xml' || type.endsWith('+xml') || /;\s*charset=/i.test(contentType);
}

function parseJson(text: string, what: string, maxDepth: number): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (thrown) {
    throw invalid(`${what} is not valid JSON: ${asError(thrown).message}`);
  }
  if (checkJsonLimits(value, { maxDepth })) {
    throw invalid(`${what} nests arrays and objects more than ${maxJsonDepth} levels deep (the event included), the limit`, { limit: 'depth', max: maxJsonDepth });
  }
  return value;
}

/**
 * Percent-decodes a ce-* header value, as the HTTP binding (§3.1.3.2) says a receiver must:
 * trimmed, then decoded; a sequence that is not valid UTF-8 is refused.
 */
function decodeHeader(name: string, value: string): string {
  try {
    return decodeURIComponent(value.trim());
  } catch {
    throw invalid(`header ${name} is not valid percent-encoded UTF-8`, { attribute: name.slice(3) });
  }
}

/**
 * Checks one event in structured form against CloudEvents 1.0 and its JSON format: the checks the
 * SDK skips or bends (it fills in a missing id or time, replaces a bad time with now, accepts 0.3,
 * keeps one of `data` and `data_base64`), then the SDK's own schema (formats of source and
 * dataschema, attribute names). `where` prefixes the attribute in messages (`events[2].`).
 */
function checkEvent(event: Record<string, unknown>, where: string): void {
  for (const name of required) {
    const value = event[name];
    if (typeof value !== 'string' || value === '') throw invalid(`${where}${name} is required (a non-empty string)`, { attribute: name });
  }
  if (event.specversion !== '1.0') {
    throw invalid(`${where}specversion must be 1.0, not ${JSON.stringify(event.specversion)}`, { attribute: 'specversion' });
  }
  for (const name of optionalStrings) {
    const value = event[name];
    if (value !== undefined && (typeof value !== 'string' || value === '')) throw invalid(`${where}${name} must be a non-empty string when present`, { attribute: name });
  }
  if (typeof event.time === 'string' && !rfc3339.validate(event.time)) {
    throw invalid(`${where}time must be an RFC 3339 timestamp such as 2030-01-01T00:00:00Z, not ${JSON.stringify(event.time)}`, { attribute: 'time' });
  }
  if (event.data_base64 !== undefined) {
    if (event.data !== undefined) throw invalid(`${where}data and data_base64 are both present; send one (JSON event format §3.1)`, { attribute: 'data_base64' });
    if (typeof event.data_base64 !== 'string' || !base64Pattern.test(event.data_base64)) {
      throw invalid(`${where}data_base64 must be base64 (RFC 4648 §4, padded)`, { attribute: 'data_base64' });
    }
  }
  for (const [name, value] of Object.entries(event)) {
    if (name === 'data' || name === 'data_base64' || value === null) continue;
    if (typeof value === 'object') throw invalid(`${where}${name} must be a string, an integer or a boolean (the CloudEvents type system)`, { attribute: name });
    if (typeof value === 'number' && !(Number.isInteger(value) && value >= -(2 ** 31) && value < 2 ** 31)) {
      throw invalid(`${where}${name} must be a 32-bit integer when it is a number (the CloudEvents type system)`, { attribute: name });
    }
  }
  try {
    new CloudEvent(event, true);
  } catch (thrown) {
    const error = asError(thrown) as Error & { errors?: { instancePath?: string; message?: string }[] };
    const first = error.errors?.[0];
    const reason = first ? `${where}${first.instancePath?.replace(/^\//, '') || 'event'} ${first.message ?? 'is invalid'}` : `${where}${error.message.split('\n')[0]}`;
    throw invalid(reason);
  }
}

/** Reads a binary-mode event: attributes from percent-decoded ce-* headers, data from the body as its content type says. */
function readBinary(headers: Record<string, string>, body: Buffer): ReceivedEvent {
  const names = Object.keys(headers).filter((name) => name.startsWith('ce-'));
  if (names.length === 0) {
    throw invalid('no CloudEvent found: send ce-* headers (binary mode) or a content type of application/cloudevents+json (structured mode)');
  }
  const event: Record<string, unknown> = {};
  for (const name of names) event[name.slice(3)] = decodeHeader(name, headers[name]);
  const contentType = headers['content-type'];
  if (contentType !== undefined) event.datacontenttype = contentType;
  for (const name of required) {
    if (typeof event[name] !== 'string' || event[name] === '') throw invalid(`header ce-${name} is required`, { attribute: name });
  }
  if (body.length > 0) {
    if (isJsonType(mediaType(contentType))) event.data = parseJson(body.toString('utf8'), 'the data', maxJsonDepth - 1);
    else if (isTextType(contentType!)) event.data = body.toString('utf8');
    else event.data_base64 = body.toString('base64');
  }
  checkEvent(event, 'header ce-');
  return event as ReceivedEvent;
}

/**
 * Reads the CloudEvents of an HTTP request in binary, structured or batch mode (CloudEvents 1.0
 * HTTP binding), as structured JSON events, each as sent. Throws INVALID_EVENT naming the reason.
 */
export function readEvents(rawHeaders: Record<string, string | string[] | undefined>, body: Buffer | string): { mode: ContentMode; events: ReceivedEvent[] } {
  const headers = lowerCaseHeaders(rawHeaders);
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  const mode = contentMode(headers);
  if (mode === 'binary') return { mode, events: [readBinary(headers, bytes)] };

  const text = bytes.toString('utf8');
  const parsed = parseJson(text, mode === 'batch' ? 'the batch' : 'the event', mode === 'batch' ? maxJsonDepth + 1 : maxJsonDepth);
  const items = mode === 'batch' ? parsed : [parsed];
  if (!Array.isArray(items)) throw invalid('a batch must be a JSON array of events');
  if (items.length === 0) throw invalid('a batch must hold at least one event');
  const events = items.map((item: unknown, index) => {
    const where = mode === 'batch' ? `events[${index}].` : '';
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw invalid(`${where ? where.slice(0, -1) : 'the event'} must be a JSON object`);
    checkEvent(item as Record<string, unknown>, where);
    return item as ReceivedEvent;
  });
  return { mode, events };
}
