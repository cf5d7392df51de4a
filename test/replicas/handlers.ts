import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A node handler for the warm replica tests, written into `dir`: what it does is chosen by its
 * input's `kind`, so one function exercises batching, logs, deadlines, crashes and memory.
 */
export function writeHandler(dir: string, marker = 'v1'): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'fn.js'),
    `let running = 0;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
export async function handler(input, ctx) {
  running += 1;
  const concurrent = running;
  try {
    switch (input?.kind) {
      case 'sleep': await sleep(input.ms); break;
      case 'log':
        for (let i = 0; i < input.lines; i++) { ctx.logger.info('line ' + i + ' of ' + ctx.executionId); await sleep(input.gapMs); }
        break;
      case 'print': console.log('plain line of ' + ctx.executionId); break;
      case 'crash': if (ctx.attempt === 1) { await sleep(50); process.exit(3); } break;
      case 'fail': throw new Error('no such report: ' + input.name);
      case 'failFirst': if (ctx.attempt === 1) throw new Error('the first attempt fails'); break;
      case 'alloc': { const hold = []; for (let i = 0; i < input.mb; i++) hold.push(Buffer.alloc(1 << 20, 1)); await sleep(100); break; }
    }
    return { pid: process.pid, concurrent, marker: ${JSON.stringify(marker)}, attempt: ctx.attempt, echo: input?.echo ?? null, lanes: process.env.PONTOON_REPLICA_LANES ?? null };
  } finally {
    running -= 1;
  }
}
`,
  );
  return dir;
}
