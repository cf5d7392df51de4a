import { describe } from 'node:test';
import type { Store } from '../../src/store/store.js';
import { batchSpecs } from './conformance/batches.js';
import { cancelSpecs } from './conformance/cancel.js';
import { claimSpecs } from './conformance/claim.js';
import { completionSpecs } from './conformance/completion.js';
import { dashboardSpecs } from './conformance/dashboard.js';
import { enqueueSpecs } from './conformance/enqueue.js';
import { functionSpecs } from './conformance/functions.js';
import { handoffSpecs } from './conformance/handoff.js';
import { leaseSpecs } from './conformance/leases.js';
import { listingSpecs } from './conformance/listing.js';
import { logSpecs } from './conformance/logs.js';
import { packageSpecs } from './conformance/packages.js';
import { queueStatsSpecs } from './conformance/queue-stats.js';
import { schedulingControlSpecs } from './conformance/scheduling-controls.js';
import { triggerSpecs } from './conformance/triggers.js';

/**
 * The behaviour every Store adapter must show, written against the Store interface only.
 * `open` must return a fresh, empty store each time; each test closes the store it opened.
 */
export function runStoreConformance(adapterName: string, open: () => Promise<Store>): void {
  describe(`Store conformance: ${adapterName}`, () => {
    functionSpecs(open);
    packageSpecs(open);
    enqueueSpecs(open);
    claimSpecs(open);
    leaseSpecs(open);
    completionSpecs(open);
    batchSpecs(open);
    handoffSpecs(open);
    cancelSpecs(open);
    logSpecs(open);
    listingSpecs(open);
    queueStatsSpecs(open);
    triggerSpecs(open);
    dashboardSpecs(open);
    schedulingControlSpecs(open);
  });
}
