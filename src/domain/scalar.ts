/**
 * The Scalar's sizing rule: how many warm replicas a function's pool should have, from what its
 * queue and replicas show now and what the rule remembered. Pure: time comes in the observation.
 *
 * - Demand is the executions that want a slot now: running plus queued (ready or not), or, when
 *   more, what the arrival rate keeps busy by Little's law (rate × mean duration). It needs
 *   ceil(demand / concurrency) replicas. Work arriving (a positive arrival rate) keeps at least one
 *   replica even when each execution is gone before the next look, so a steady trickle of short
 *   executions does not make the pool flap between 0 and 1.
 * - Up at once: a queue is served as soon as the pool can grow.
 * - Down only to the highest size wanted over the stabilization window (as Kubernetes' HPA
 *   scales down), so a queue that drains between two bursts keeps its replicas.
 * - Idle (no demand, no arrivals): the size is held until `idleTimeoutMs` has passed since the
 *   pool was last busy, then drops to `min` (0 unless told otherwise: scale to zero).
 * - Always within [min, max].
 */

/** What the Scalar is told of one pool at one instant. */
export interface ScalarObservation {
  /** Milliseconds since the epoch. */
  at: number;
  queued: number;
  /** Executions of the function running now. */
  running: number;
  /** Executions that arrived since the previous observation. */
  arrivals: number;
  /** Mean duration of the function's recent attempts; 0 when unknown. */
  meanDurationMs: number;
}

/** The pool's settings, in milliseconds. */
export interface ScalarSettings {
  min: number;
  max: number;
  concurrency: number;
  idleTimeoutMs: number;
  stabilizationMs: number;
}

/** What the rule remembers between observations; start from `initialScalarState`. */
export interface ScalarState {
  /** The size decided last. */
  desired: number;
  /** When demand or arrivals were last seen; null when never. */
  lastBusyAt: number | null;
  /** When the previous observation was made; null before the first. */
  lastAt: number | null;
  /** Arrivals per second, smoothed. */
  arrivalRate: number;
  /** Sizes wanted within the stabilization window, oldest first. */
  recent: { at: number; wanted: number }[];
}

/** One decision: the size, why, and the state to pass next time. */
export interface ScalarDecision {
  desired: number;
  /** `up`, `down`, `idle` (scaled down after idleTimeout) or `steady`. */
  change: 'up' | 'down' | 'idle' | 'steady';
  state: ScalarState;
}

/** The state of a pool the Scalar has not seen yet. */
export const initialScalarState: ScalarState = { desired: 0, lastBusyAt: null, lastAt: null, arrivalRate: 0, recent: [] };

/** Weight of the newest sample in the arrival rate's moving average. */
const rateSmoothing = 0.5;

/** Decides a pool's size from one observation (see the file's comment for the rule). */
export function decideReplicas(state: ScalarState, observation: ScalarObservation, settings: ScalarSettings): ScalarDecision {
  const { at } = observation;
  const elapsedS = state.lastAt === null ? 0 : Math.max(0, at - state.lastAt) / 1000;
  const sample = elapsedS > 0 ? observation.arrivals / elapsedS : 0;
  const arrivalRate = state.lastAt === null ? 0 : rateSmoothing * sample + (1 - rateSmoothing) * state.arrivalRate;
  const present = observation.running + observation.queued;
  // Idle is judged on what is there, not on the smoothed rate, which only decays towards zero.
  const busy = present > 0 || observation.arrivals > 0;
  const demand = busy ? Math.max(present, Math.ceil((arrivalRate * observation.meanDurationMs) / 1000)) : 0;
  const lastBusyAt = busy ? at : state.lastBusyAt;

  let wanted = Math.ceil(demand / Math.max(1, settings.concurrency));
  if (wanted === 0 && busy) wanted = 1;
  wanted = clamp(wanted, settings.min, settings.max);
  const recent = [...state.recent.filter((entry) => entry.at > at - settings.stabilizationMs), { at, wanted }];
  const next = (desired: number, change: ScalarDecision['change']): ScalarDecision => ({
    desired,
    change: desired === state.desired ? 'steady' : change,
    state: { desired, lastBusyAt, lastAt: at, arrivalRate, recent },
  });

  if (!busy) {
    const idleFor = lastBusyAt === null ? Infinity : at - lastBusyAt;
    if (idleFor >= settings.idleTimeoutMs) return next(clamp(settings.min, settings.min, settings.max), 'idle');
    return next(clamp(state.desired, settings.min, settings.max), 'down');
  }
  if (wanted >= state.desired) return next(wanted, 'up');
  const windowMax = Math.max(...recent.map((entry) => entry.wanted));
  return next(clamp(Math.min(state.desired, windowMax), settings.min, settings.max), 'down');
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(Math.max(value, min), Math.max(min, max));
}
