/**
 * Summarizes a V8 CPU profile (node --cpu-prof; the benches write one per server with
 * PONTOON_BENCH_PROFILE=dir): self time by function and by file, heaviest first.
 *   node dist/bench/profile-summary.js file.cpuprofile [top]
 */
import { readFileSync } from 'node:fs';

/** The parts of a .cpuprofile this reads. */
interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time in ms per key, heaviest first. */
function selfTimes(profile: CpuProfile, keyOf: (frame: CpuProfile['nodes'][number]['callFrame']) => string): [string, number][] {
  const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const totals = new Map<string, number>();
  profile.samples.forEach((id, index) => {
    const key = keyOf(frames.get(id)!);
    totals.set(key, (totals.get(key) ?? 0) + (profile.timeDeltas[index] ?? 0) / 1000);
  });
  return [...totals].sort((a, b) => b[1] - a[1]);
}

const shortUrl = (url: string) => url.replace(/^file:\/\/.*?\/(node_modules|dist)\//, '$1/') || '(native)';

if (import.meta.url === `file://${process.argv[1]}`) {
  const profile = JSON.parse(readFileSync(process.argv[2], 'utf8')) as CpuProfile;
  const top = Number(process.argv[3] ?? 25);
  const total = profile.timeDeltas.reduce((sum, delta) => sum + delta, 0) / 1000;
  const show = (title: string, rows: [string, number][]) => {
    console.log(`\n${title}`);
    for (const [key, ms] of rows.slice(0, top)) console.log(`${ms.toFixed(0).padStart(8)} ms ${((100 * ms) / total).toFixed(1).padStart(5)}%  ${key}`);
  };
  console.log(`total ${total.toFixed(0)} ms sampled`);
  show('self time by function', selfTimes(profile, (frame) => `${frame.functionName || '(anonymous)'} ${shortUrl(frame.url)}:${frame.lineNumber + 1}`));
  show('self time by file', selfTimes(profile, (frame) => shortUrl(frame.url)));
}
