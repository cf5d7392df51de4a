import { Counter, Registry } from 'prom-client';
import type { Execution } from '../domain/execution.js';
import type { TraceContext } from '../domain/trace-context.js';
import { incomingTraceContext } from '../telemetry/trace-propagation.js';
import type { Enqueued, NewExecution, Store } from '../store/store.js';
import { eventIdempotencyKey, eventTargets, type EventTarget } from './event-match.js';
import type { ReceivedEvent } from './incoming-events.js';

/** What became of one received event. */
export interface EventOutcome {
  id: string;
  source: string;
  type: string;
  /** The functions it matched and how. */
  matched: EventTarget[];
  /** Its executions: new ones, or the existing ones when the event was delivered before. */
  executions: Execution[];
  /** True when every execution already existed (a redelivery). */
  duplicate: boolean;
}

/** Counters of received events, for /metrics. */
export class EventMetrics {
  /** Registry holding the counters; merged into the API's /metrics. */
  readonly registry = new Registry();
  /** Events received, by whether they matched a trigger or rule. */
  readonly received = new Counter({ name: 'pontoon_events_received_total', help: 'CloudEvents received, by outcome', labelNames: ['namespace', 'outcome'], registers: [this.registry] });
}

/**
 * Turns received CloudEvents into executions: each event is matched against the triggers of the
 * namespace's functions and its rules, and each match becomes one execution whose input is the
 * event, keyed by the event's source and id so that a redelivery starts nothing new. All the
 * executions of one request are stored in one transaction.
 */
export class EventIntake {
  constructor(
    private readonly store: Store,
    private readonly invoke: (requests: NewExecution[]) => Promise<Enqueued[]>,
    readonly metrics: EventMetrics = new EventMetrics(),
  ) {}

  /**
   * Matches and starts; unmatched events are counted, not refused. Each execution continues the
   * trace of its event's distributed-tracing extension (`traceparent`, `tracestate`), else the
   * request's (`carried`).
   */
  async receive(namespace: string, events: ReceivedEvent[], carried?: TraceContext): Promise<EventOutcome[]> {
    const [functions, rules] = await Promise.all([this.store.listFunctions(namespace), this.store.listRules(namespace)]);
    const matches = events.map((event) => eventTargets(event, functions, rules));
    const requests = events.flatMap((event, index) =>
      matches[index].map((target): NewExecution => ({
        namespace,
        function: target.function,
        input: event,
        priority: target.priority,
        idempotencyKey: eventIdempotencyKey(event),
        traceContext: incomingTraceContext(event) ?? carried,
      })),
    );
    const enqueued = requests.length > 0 ? await this.invoke(requests) : [];
    let offset = 0;
    return events.map((event, index) => {
      const mine = enqueued.slice(offset, offset + matches[index].length);
      offset += matches[index].length;
      this.metrics.received.inc({ namespace, outcome: matches[index].length > 0 ? 'matched' : 'unmatched' });
      return {
        id: event.id,
        source: event.source,
        type: event.type,
        matched: matches[index],
        executions: mine.map((entry) => entry.execution),
        duplicate: mine.length > 0 && mine.every((entry) => !entry.created),
      };
    });
  }
}
