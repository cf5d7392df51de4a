import { CloudEvent, HTTP } from 'cloudevents';

/** How completion deliveries are retried: exponential backoff, bounded in tries. */
export interface DeliveryRetry {
  /** Tries in all, the first included; then the delivery is marked failed. */
  attempts: number;
  initialMs: number;
  factor: number;
  maxMs: number;
}

/** The default: 12 tries over about 20 minutes. */
export const defaultDeliveryRetry: DeliveryRetry = { attempts: 12, initialMs: 1000, factor: 2, maxMs: 5 * 60_000 };

/** When to try again after `failures` failed tries, or undefined when no try is left. */
export function nextDeliveryTry(failures: number, retry: DeliveryRetry, now: Date): Date | undefined {
  if (failures >= retry.attempts) return undefined;
  const delay = Math.min(retry.maxMs, retry.initialMs * retry.factor ** (failures - 1));
  return new Date(now.getTime() + delay);
}

/**
 * The HTTP request of a completion event, in binary mode: the body is the execution itself, so a
 * plain webhook (an OpenFaaS-style callback) reads it as JSON, and a CloudEvents receiver reads
 * the ce-* headers.
 */
export function deliveryRequest(event: Record<string, unknown>): { headers: Record<string, string>; body: string } {
  const message = HTTP.binary(new CloudEvent(event, false));
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers)) if (value !== undefined) headers[name] = String(value);
  const body = typeof message.body === 'string' ? message.body : JSON.stringify(message.body ?? null);
  return { headers, body };
}
