import type { FieldProblem } from '../domain/errors.js';
import type { FunctionSpec } from '../domain/function-spec.js';
import type { OutboundAllowance } from '../domain/outbound-policy.js';
import type { Engine } from '../engine/engine.js';
import type { ExecutionEvents } from '../engine/execution-events.js';
import type { PackageLimits } from '../runtimes/package-archive.js';
import type { Store } from '../store/store.js';
import type { PontoonMetrics } from '../telemetry/metrics.js';
import type { EventIntake } from '../triggers/event-intake.js';
import type { AuthSettings } from './auth/auth-settings.js';

/** What every route module is given. */
export interface ApiContext {
  store: Store;
  engine: Engine;
  events: ExecutionEvents;
  /** Largest invocation input, in bytes. */
  payloadLimit: number;
  /** What an uploaded source package may be; defaultPackageLimits() when absent. */
  packageLimits?: PackageLimits;
  /** What callback and sink URLs may reach besides public addresses; none when absent. */
  outboundAllowance?: OutboundAllowance;
  /** The secrets of a spec the operator's store lacks (a deploy is refused with them); absent where pods resolve them. */
  missingSecrets?: (spec: FunctionSpec) => Promise<FieldProblem[]>;
  /** True once the engine runs; /readyz answers from it. */
  isReady(): boolean;
  /** Who may call which route, and the browser and abuse guards. */
  auth: AuthSettings;
  /** The controller's metrics, fed by its instrumented store; built from `store` and `engine` when absent. */
  metrics?: PontoonMetrics;
  /** CloudEvents intake and the clock of schedules; without it, /events is not served. */
  triggers?: { intake: EventIntake; clock: () => Date };
}
