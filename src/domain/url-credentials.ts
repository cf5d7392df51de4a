/** What stands for the user name and password of a URL wherever it is shown. */
export const redactedUserinfo = 'REDACTED';

/**
 * A URL as it may be shown: its user name and password (`https://user:secret@host/`) replaced by
 * REDACTED. Stored URLs keep theirs, since the controller needs them to send; only what is shown
 * (API, CLI, dashboard, events, logs) passes through here. Text that is not a URL is returned as is.
 */
export function redactUrlCredentials(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return text;
  }
  if (url.username === '' && url.password === '') return text;
  url.username = redactedUserinfo;
  url.password = '';
  return url.toString();
}

/** Field names whose string values are URLs that may carry credentials. */
const urlFields = new Set(['callbackUrl', 'url']);
/** Fields holding a caller's own data, echoed back exactly as given. */
const callerDataFields = new Set(['input', 'result']);

/**
 * A copy of an API answer with the credentials of every URL field (`callbackUrl`, `url`, as in
 * `spec.sinks[].url` or a delivery) redacted, and every URL inside a message (`error`) too. The
 * caller's input and the function's result are data, not URLs the controller calls: left alone.
 */
export function redactUrlFields<T>(value: T): T {
  return redact(value, undefined) as T;
}

const urlInText = /\b[a-z][a-z0-9+.-]*:\/\/[^\s/?#@]*@[^\s"']*/gi;

/** Redacts every URL with a user name or password inside free text such as an error message. */
export function redactUrlsInText(text: string): string {
  return text.includes('@') ? text.replace(urlInText, (match) => redactUrlCredentials(match)) : text;
}

/** The value itself when nothing in it changes (most answers), a copy of what changed otherwise. */
function redact(value: unknown, key: string | undefined): unknown {
  if (typeof value === 'string') return key !== undefined && urlFields.has(key) ? redactUrlCredentials(value) : redactUrlsInText(value);
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    value.forEach((item, index) => {
      const redacted = redact(item, key);
      if (redacted !== item) (copy ??= [...value])[index] = redacted;
    });
    return copy ?? value;
  }
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  let copy: Record<string, unknown> | undefined;
  for (const [name, field] of Object.entries(value)) {
    if (callerDataFields.has(name)) continue;
    const redacted = redact(field, name);
    if (redacted !== field) (copy ??= { ...value })[name] = redacted;
  }
  return copy ?? value;
}
