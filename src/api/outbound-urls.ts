import { PontoonError } from '../domain/errors.js';
import { noOutboundAllowance as noAllowance, refusedUrl, type OutboundAllowance } from '../domain/outbound-policy.js';
import { redactUrlCredentials } from '../domain/url-credentials.js';

/**
 * Refuses at once (400, naming the header) a callback URL whose host is an address the controller
 * will not send to, rather than accepting the execution and failing its delivery later. A name is
 * judged when it is resolved, at delivery time.
 */
export function checkCallbackUrl(url: string | undefined, allowance: OutboundAllowance | undefined): string | undefined {
  const reason = url === undefined ? undefined : refusedUrl(url, allowance ?? noAllowance);
  if (reason) throw new PontoonError('INVALID_REQUEST', `X-Callback-Url ${redactUrlCredentials(url!)} is refused: ${reason}`, { field: 'header.x-callback-url' });
  return url;
}

/** Refuses a deploy (422, naming each field) whose `spec.sinks[].url` is an address the controller will not send to. */
export function checkSinkUrls(document: unknown, allowance: OutboundAllowance | undefined): void {
  const sinks = (document as { spec?: { sinks?: unknown } } | null)?.spec?.sinks;
  if (!Array.isArray(sinks)) return;
  const problems = sinks.flatMap((sink: unknown, index) => {
    const url = (sink as { url?: unknown } | null)?.url;
    const reason = typeof url === 'string' ? refusedUrl(url, allowance ?? noAllowance) : undefined;
    return reason ? [{ field: `spec.sinks[${index}].url`, message: `is refused: ${reason}` }] : [];
  });
  if (problems.length > 0) {
    throw new PontoonError('INVALID_SPEC', `invalid function spec: ${problems.map((problem) => `${problem.field} ${problem.message}`).join('; ')}`, { problems });
  }
}
