import { HTTP, type CloudEventV1 } from 'cloudevents';
import { PontoonError, asError } from '../domain/errors.js';

/** A received CloudEvent in structured JSON form: its attributes, extensions and `data`. */
export type ReceivedEvent = CloudEventV1<unknown> & Record<string, unknown>;

/** How the body arrived: `binary` (ce-* headers), `structured` (one JSON event) or `batch`. */
export type ContentMode = 'binary' | 'structured' | 'batch';

const required = ['id', 'source', 'type', 'specversion'] as const;

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

/**
 * Checks the required attributes on the wire, before the SDK sees them: the SDK fills in a
 * missing id and accepts specversion 0.3, and an event we accept must be one its sender meant.
 */
function checkRequired(attributes: Record<string, unknown>, where: string): void {
  for (const name of required) {
    const value = attributes[name];
    if (typeof value !== 'string' || value === '') throw invalid(`${where}${name} is required (a non-empty string)`, { attribute: name });
  }
  if (attributes.specversion !== '1.0') {
    throw invalid(`${where}specversion must be 1.0, not ${JSON.stringify(attributes.specversion)}`, { attribute: 'specversion' });
  }
}

function parseJson(body: string, what: string): unknown {
  try {
    return JSON.parse(body);
  } catch (thrown) {
    throw invalid(`${what} is not valid JSON: ${asError(thrown).message}`);
  }
}

function toStructured(event: CloudEventV1<unknown>, sentTime: boolean): ReceivedEvent {
  const json = JSON.parse(JSON.stringify(event)) as ReceivedEvent;
  // The SDK stamps a time on events that had none; the input should be the event as sent.
  if (!sentTime) delete json.time;
  return json;
}

function throughSdk(headers: Record<string, string>, body: string, where: string): CloudEventV1<unknown>[] {
  try {
    const parsed = HTTP.toEvent({ headers, body });
    return Array.isArray(parsed) ? parsed : [parsed];
  } catch (thrown) {
    const error = asError(thrown) as Error & { errors?: { instancePath?: string; message?: string }[] };
    const first = error.errors?.[0];
    const reason = first ? `${where}${first.instancePath?.replace(/^\//, '') || 'event'} ${first.message ?? 'is invalid'}` : `${where}${error.message}`;
    throw invalid(reason);
  }
}

/**
 * Reads the CloudEvents of an HTTP request in binary, structured or batch mode (CloudEvents 1.0
 * HTTP binding), as structured JSON. Throws INVALID_EVENT naming the reason.
 */
export function readEvents(rawHeaders: Record<string, string | string[] | undefined>, body: string): { mode: ContentMode; events: ReceivedEvent[] } {
  const headers = lowerCaseHeaders(rawHeaders);
  const mode = contentMode(headers);
  if (mode === 'binary') {
    const attributes: Record<string, unknown> = {};
    for (const name of required) attributes[name] = headers[`ce-${name}`];
    if (Object.keys(headers).every((name) => !name.startsWith('ce-'))) {
      throw invalid('no CloudEvent found: send ce-* headers (binary mode) or a content type of application/cloudevents+json (structured mode)');
    }
    checkRequired(attributes, 'header ce-');
    if ((headers['content-type'] ?? 'application/json').includes('json') && body.trim() !== '') parseJson(body, 'the data');
    const [event] = throughSdk(headers, body, '');
    return { mode, events: [toStructured(event, headers['ce-time'] !== undefined)] };
  }

  const parsed = parseJson(body, mode === 'batch' ? 'the batch' : 'the event');
  const items = mode === 'batch' ? parsed : [parsed];
  if (!Array.isArray(items)) throw invalid('a batch must be a JSON array of events');
  if (items.length === 0) throw invalid('a batch must hold at least one event');
  const events = items.map((item, index) => {
    const where = mode === 'batch' ? `events[${index}].` : '';
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw invalid(`${where ? where.slice(0, -1) : 'the event'} must be a JSON object`);
    checkRequired(item as Record<string, unknown>, where);
    const [event] = throughSdk({ 'content-type': 'application/cloudevents+json' }, JSON.stringify(item), where);
    return toStructured(event, (item as Record<string, unknown>).time !== undefined);
  });
  return { mode, events };
}
