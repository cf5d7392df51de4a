/** Runs the embedded core's benchmarks (issues 2 and 16) one after another and prints their figures. */
import { coldPath } from './cold-path.js';
import { invokeLatency } from './invoke-latency.js';
import { queueScale } from './queue-scale.js';
import { warmDrain } from './warm-drain.js';
import { warmJavaPrimes } from './warm-java-primes.js';
import { warmScalar } from './warm-scalar.js';

const results: Record<string, unknown> = {};
for (const [name, run] of Object.entries({ coldPath, invokeLatency, queueScale, warmDrain, warmScalar, warmJavaPrimes })) {
  results[name] = await run();
  console.log(name, JSON.stringify(results[name]));
}
console.log(JSON.stringify(results, null, 2));
