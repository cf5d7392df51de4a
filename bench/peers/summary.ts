/** Per-figure min/median/max over rounds, and Pontoon's ratios to the best peer. */
import type { Figures } from './workloads/common.js';

/** What was measured for one system over the rounds. */
export interface SystemRecord {
  key: string;
  description: string;
  startMeasuredBy: string;
  pontoon: boolean;
  /** Why it did not run, when it could not (e.g. warm replicas not built yet). */
  notAvailable?: string;
  errors: string[];
  rounds: Figures[];
}

/** Min, median and max of one figure over the rounds that measured it. */
export interface Spread {
  min: number;
  median: number;
  max: number;
  rounds: number;
}

/** Whether a bigger value of the figure is better (rates) or worse (latencies). */
export function higherIsBetter(figure: string): boolean {
  return /PerSec$|achievedRate$/.test(figure);
}

/** The figures Pontoon's target is stated on, and that get a ratio to the best peer. */
export function isHeadline(figure: string): boolean {
  return /^burnDown\.jobsPerSec$|^openLoop\.\d+\.p(50|95|99)Ms$|^idle\.p(50|95|99)Ms$|^depth\.\d+\.jobsPerSec$/.test(figure);
}

function median(sorted: number[]): number {
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Spread of every figure a system measured. */
export function spreads(record: SystemRecord): Record<string, Spread> {
  const byFigure = new Map<string, number[]>();
  for (const round of record.rounds.filter(Boolean)) {
    for (const [figure, value] of Object.entries(round)) byFigure.set(figure, [...(byFigure.get(figure) ?? []), value]);
  }
  const result: Record<string, Spread> = {};
  for (const [figure, values] of byFigure) {
    const sorted = [...values].sort((a, b) => a - b);
    result[figure] = { min: sorted[0], median: median(sorted), max: sorted[sorted.length - 1], rounds: sorted.length };
  }
  return result;
}

/** Pontoon's median against the best peer's median: above 1 means Pontoon is ahead. */
export interface Ratio {
  figure: string;
  pontoon: number;
  bestPeer: string;
  bestPeerValue: number;
  ratio: number;
  /**
   * `never-started`: Pontoon's median job never started (ratio 0). `at-most`: the best peer's
   * latency was 0, under the 1 ms resolution of the start times, so the ratio is taken against
   * 1 ms and Pontoon's is at most that.
   */
  qualifier?: 'never-started' | 'at-most';
}

/** Resolution of the submit-to-start latencies (every system's start time is in whole ms). */
const latencyResolutionMs = 1;

/** Ratios of each headline figure of a Pontoon system to the best peer's. */
export function ratiosToBestPeer(pontoon: SystemRecord, peers: SystemRecord[]): Ratio[] {
  const own = spreads(pontoon);
  const peerSpreads = peers.map((peer) => ({ key: peer.key, spreads: spreads(peer) }));
  const ratios: Ratio[] = [];
  for (const [figure, spread] of Object.entries(own)) {
    if (!isHeadline(figure)) continue;
    const better = higherIsBetter(figure);
    let best: { key: string; value: number } | undefined;
    for (const peer of peerSpreads) {
      const value = peer.spreads[figure]?.median;
      if (value === undefined || Number.isNaN(value)) continue;
      if (!best || (better ? value > best.value : value < best.value)) best = { key: peer.key, value };
    }
    if (!best) continue;
    ratios.push({ figure, pontoon: spread.median, bestPeer: best.key, bestPeerValue: best.value, ...ratioOf(spread.median, best.value, better) });
  }
  return ratios;
}

/** Pontoon's value against a peer's, >1 when Pontoon is ahead; latencies under the clock's resolution count as that resolution. */
export function ratioOf(pontoon: number, peer: number, higherBetter: boolean): Pick<Ratio, 'ratio' | 'qualifier'> {
  if (higherBetter) return { ratio: peer === 0 ? Infinity : pontoon / peer };
  if (pontoon === Infinity) return { ratio: 0, qualifier: 'never-started' };
  const floor = (value: number) => Math.max(value, latencyResolutionMs);
  const ratio = floor(peer) / floor(pontoon);
  return peer < latencyResolutionMs && pontoon >= latencyResolutionMs ? { ratio, qualifier: 'at-most' } : { ratio };
}
