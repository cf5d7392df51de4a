import type { AttributeMatch, FunctionVersion } from '../domain/function-spec.js';
import type { Rule } from '../store/store.js';

/** The attributes of a CloudEvent that triggers look at (context attributes and extensions, as strings or values). */
export type EventAttributes = Record<string, unknown>;

/** What a trigger or a rule asks of an event; an absent attribute matches anything. */
export interface EventMatch {
  type?: AttributeMatch;
  source?: AttributeMatch;
  subject?: AttributeMatch;
  extensions?: Record<string, AttributeMatch>;
}

/** A function an event starts, and which trigger or rule said so. */
export interface EventTarget {
  function: string;
  priority?: number;
  /** `trigger:<function>/<name or index>` or `rule:<name>`. */
  via: string;
}

/** True when one attribute value satisfies one match: equal to a string, or starting with a prefix. */
export function attributeMatches(match: AttributeMatch, value: unknown): boolean {
  if (value === undefined || value === null) return false;
  const text = String(value);
  return typeof match === 'string' ? text === match : text.startsWith(match.prefix);
}

/** True when an event satisfies every attribute a match names. */
export function eventMatches(match: EventMatch, event: EventAttributes): boolean {
  for (const attribute of ['type', 'source', 'subject'] as const) {
    const wanted = match[attribute];
    if (wanted !== undefined && !attributeMatches(wanted, event[attribute])) return false;
  }
  for (const [name, wanted] of Object.entries(match.extensions ?? {})) {
    if (!attributeMatches(wanted, event[name])) return false;
  }
  return true;
}

/**
 * The functions an event starts, once each: through the triggers of the functions' specs, then
 * through standalone rules. A function matched twice starts once (its first match wins), because
 * the event's source and id are its idempotency key per function anyway.
 */
export function eventTargets(event: EventAttributes, functions: FunctionVersion[], rules: Rule[]): EventTarget[] {
  const targets = new Map<string, EventTarget>();
  for (const fn of functions) {
    (fn.document.spec.triggers ?? []).forEach((trigger, index) => {
      if (targets.has(fn.name) || !eventMatches(trigger.cloudevent, event)) return;
      targets.set(fn.name, { function: fn.name, priority: trigger.priority, via: `trigger:${fn.name}/${trigger.name ?? index}` });
    });
  }
  const live = new Set(functions.map((fn) => fn.name));
  for (const rule of rules) {
    // A rule whose function is gone matches nothing rather than failing the whole event.
    if (targets.has(rule.function) || !live.has(rule.function) || !eventMatches(rule.match, event)) continue;
    targets.set(rule.function, { function: rule.function, priority: rule.priority, via: `rule:${rule.name}` });
  }
  return [...targets.values()];
}

/** The idempotency key of an event for one function: its source and id (CloudEvents' own uniqueness). */
export function eventIdempotencyKey(event: { source: string; id: string }): string {
  return `cloudevent/${JSON.stringify([event.source, event.id])}`;
}
