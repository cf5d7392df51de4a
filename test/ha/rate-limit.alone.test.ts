import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { dropSchemas, freshSchema, pgQuery, pgSkipReason, testPgUrl } from '../helpers/postgres.js';
import { api, killHard, startController, type Controller } from './controllers.js';

const skip = pgSkipReason();

/** The most starts in any window [s, s + periodMs) that begins at a start (the busiest windows all do). */
export function busiestWindow(starts: number[], periodMs: number): number {
  const sorted = [...starts].sort((a, b) => a - b);
  let most = 0;
  let end = 0;
  for (let begin = 0; begin < sorted.length; begin++) {
    while (end < sorted.length && sorted[end] < sorted[begin] + periodMs) end++;
    most = Math.max(most, end - begin);
  }
  return most;
}

describe('rate limits across controllers', { skip }, () => {
  const root = mkdtempSync(join(tmpdir(), 'pontoon-rate-'));
  const controllers: Controller[] = [];
  after(async () => {
    await Promise.all(controllers.map((controller) => killHard(controller)));
    rmSync(root, { recursive: true, force: true });
    await dropSchemas();
  });

  it('three controllers never start more than 20 attempts in any second of a {limit: 20, period: 1s} function, and drain 1,000 at ≥ 0.9× the limit', async () => {
    const schema = freshSchema('rate');
    const store = `${testPgUrl}?schema=${schema}`;
    for (const index of [0, 1, 2]) controllers.push(await startController({ store, dataDir: join(root, `c${index}`), capacity: 16 }));
    await api(controllers[0].url, 'PUT', '/v1/namespaces/default/functions/limited', {
      apiVersion: 'pontoon.dev/v1',
      kind: 'Function',
      metadata: { name: 'limited' },
      spec: { runtime: 'command', command: ['true'], parallelism: 100, rateLimit: { limit: 20, period: '1s' } },
    });
    const total = 1000;
    const batch = await api(controllers[1].url, 'POST', '/v1/namespaces/default/functions/limited/batch', { inputs: Array.from({ length: total }, (_, i) => i) });
    assert.equal(batch.items.length, total);

    // 1,000 at 20 per second is 50 s; bounded at three times that.
    const until = Date.now() + 150_000;
    for (;;) {
      const [{ ended }] = await pgQuery<{ ended: number }>(`SELECT COUNT(*)::int AS ended FROM "${schema}".executions WHERE status = 'succeeded'`);
      if (ended === total) break;
      assert.ok(Date.now() < until, `only ${ended} of ${total} succeeded within 150 s`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }

    const rows = await pgQuery<{ started_at: Date; owner: string }>(`SELECT started_at, owner FROM "${schema}".attempts`);
    assert.equal(rows.length, total, 'one attempt each');
    const starts = rows.map((row) => row.started_at.getTime());
    assert.ok(busiestWindow(starts, 1000) <= 20, `at most 20 starts in any 1 s window, saw ${busiestWindow(starts, 1000)}`);
    const owners = new Set(rows.map((row) => row.owner.split('/').slice(0, -1).join('/')));
    assert.ok(owners.size >= 2, `the controllers shared the work (${owners.size} owners)`);
    // Steady rate: after the first window's 20, the other 980 over the time from first to last start.
    const span = (Math.max(...starts) - Math.min(...starts)) / 1000;
    const rate = (total - 20) / span;
    process.stderr.write(`# rate limit drain: ${total} starts over ${span.toFixed(2)} s, ${rate.toFixed(2)}/s against a limit of 20/s; busiest window ${busiestWindow(starts, 1000)}\n`);
    assert.ok(rate >= 18, `drained at ${rate.toFixed(2)}/s, below 0.9 × 20/s`);
  });
});
