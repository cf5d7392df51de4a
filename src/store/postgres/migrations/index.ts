import { initial } from './001-initial.js';
import { triggers } from './002-triggers.js';
import { requestFingerprints } from './003-request-fingerprints.js';
import { dashboardIndexes } from './004-dashboard-indexes.js';
import { schedulingControls } from './005-scheduling-controls.js';
import { packages } from './006-packages.js';
import { traceContext } from './007-trace-context.js';
import { leanLifecycleIndexes } from './008-lean-lifecycle-indexes.js';
import type { Migration } from './migration.js';

/** Every migration in order. Append only: a released migration is never edited or removed. */
export const migrations: readonly Migration[] = [initial, triggers, requestFingerprints, dashboardIndexes, schedulingControls, packages, traceContext, leanLifecycleIndexes];
