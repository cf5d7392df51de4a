/**
 * Issue 15, the dashboard's numbers: with 100,000 executions stored, the first view (Functions)
 * is interactive within 1 s over loopback, and the executions table pages in ≤ 100 ms.
 *
 * The store is filled through the Store port (not the API, which would run them): five functions,
 * executions created over the last two hours, each claimed and settled with a random duration
 * (90% succeeded, 7% failed, 3% timed out). Then `pontoon up` serves it, and we measure
 * - in Debian's headless Chromium (as the tests use): from navigation to the Functions table
 *   showing every function with its last-hour stats, fresh profile each time, and the Older →
 *   click to the next page rendered;
 * - over HTTP: a page of 50 of the executions listing with each filter, following cursors;
 * - the stats and series routes the Functions and Charts views call.
 * With a postgres:// URL as third argument, the store is a fresh schema of that database instead.
 *
 * This session (2 shared cores, load average 9–10 from other work), medians (p95), 6 rounds:
 *   SQLite:     first view interactive 705 ms (1,168), last-hour stats shown 1.87 s; a page of 50
 *               over HTTP 2–10 ms (≤ 34), Older → in Chromium 133 ms (229); stats route 401 ms.
 *   PostgreSQL: first view interactive 567 ms (975), stats shown 1.44 s; a page of 50 6–11 ms
 *               (≤ 31), Older → in Chromium 108 ms (170); stats route 267 ms.
 * Re-measured for issue 15's check (SQLite), medians (p95): at load 1–3, first view interactive
 * 335 ms (418), a page of 50 over HTTP 1.7–3.3 ms (≤ 6.1); at load 12–18 from other work, 850 ms
 * (1,969) and 2–13 ms (≤ 44). Older → was then timed until the first row changed, which the empty
 * moment while the next page loads satisfied; it now waits for the next page's rows. So timed, at
 * load ~6: first view 504 ms (547), Older → 55 ms (98) inside the page (`olderPageInPage`: click to
 * the next page's rows and the frame after) and 122 ms (259) through Playwright's click, whose
 * actionability checks and CDP round trips are not the page's.
 * The stats read every execution that ended in the hour (about 50,000 here) to rank durations,
 * which is why the Functions view does not wait for them.
 *   node dist/bench/dashboard.js [executions] [rounds] [sqlite|postgres://…]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openPostgresStore } from '../src/store/postgres/postgres-store.js';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.js';
import type { Store } from '../src/store/store.js';
import { launchBrowser } from '../test/dashboard/browser.js';
import { deployCommand, percentile, startBenchServer, type BenchServer } from './lib/server.js';
import { median } from './lib/stats.js';

const [total, rounds] = [Number(process.argv[2] ?? 100_000), Number(process.argv[3] ?? 10)];
const storeChoice = process.argv[4] ?? 'sqlite';
const schema = `bench_dashboard_${randomBytes(4).toString('hex')}`;
/** The `--store` of the server: sqlite, or the URL with a fresh schema. */
const storeFlag = storeChoice === 'sqlite' ? 'sqlite' : `${storeChoice}${storeChoice.includes('?') ? '&' : '?'}schema=${schema}`;
const functions = ['report', 'export', 'thumbnail', 'sync', 'billing'];
const spanMs = 2 * 3_600_000;
const batch = 1000;

/** Runs in the page: clicks Older → and resolves with the ms until another page's first row is rendered. */
async function olderInPage(): Promise<number> {
  const firstRow = () => document.querySelector('table.executions tbody tr')?.getAttribute('data-execution');
  const olderButton = () => [...document.querySelectorAll('button')].find((candidate) => candidate.textContent?.includes('Older') && !candidate.disabled);
  // The page the previous click asked for may still be loading: wait for its rows and its button.
  for (let frames = 0; !(firstRow() && olderButton()); frames++) {
    if (frames > 600) throw new Error('no page with an enabled Older → button within 600 frames');
    await new Promise((resolve) => requestAnimationFrame(resolve));
  }
  const before = firstRow();
  const button = olderButton()!;
  return new Promise((resolve) => {
    const observer = new MutationObserver(() => {
      const now = firstRow();
      if (!now || now === before) return;
      observer.disconnect();
      requestAnimationFrame(() => resolve(performance.now() - began));
    });
    observer.observe(document.body, { subtree: true, childList: true, attributes: true });
    const began = performance.now();
    button.click();
  });
}

/** Fills the data dir's store with `total` ended executions spread over the last two hours. */
async function fill(dataDir: string): Promise<void> {
  const store: Store = storeFlag === 'sqlite' ? openSqliteStore({ file: join(dataDir, 'pontoon.db') }) : await openPostgresStore({ url: storeFlag });
  try {
    const start = Date.now() - spanMs;
    for (let done = 0; done < total; done += batch) {
      const at = start + (done / total) * spanMs;
      const requests = Array.from({ length: batch }, (_, index) => ({ namespace: 'default', function: functions[(done + index) % functions.length], input: { n: done + index } }));
      await store.enqueueExecutions(requests, new Date(at).toISOString());
      const claimed = await store.claimExecutions({ owner: 'bench', now: new Date(at + 50).toISOString(), leaseMs: 600_000, limit: batch });
      for (const attempt of claimed) {
        const roll = Math.random();
        const status = roll < 0.9 ? 'succeeded' : roll < 0.97 ? 'failed' : 'timed_out';
        await store.completeAttempt({
          executionId: attempt.execution.id,
          attempt: attempt.attempt,
          status,
          exitCode: status === 'succeeded' ? 0 : status === 'failed' ? 1 : null,
          reason: status === 'succeeded' ? null : status === 'failed' ? 'Error' : 'DeadlineExceeded',
          error: status === 'succeeded' ? null : 'bench',
          result: null,
          finishedAt: new Date(at + 50 + Math.round(20 + Math.random() ** 3 * 5000)).toISOString(),
          // Notified, as an execution with no completion sink is stored: otherwise the server would
          // spend the measurement deciding 100,000 completion events.
          settlement: { next: 'finish', status, notified: true },
        });
      }
    }
  } finally {
    await store.close();
  }
}

/** Milliseconds of `work`, measured `times` times. */
async function timed(times: number, work: (index: number) => Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  for (let index = 0; index < times; index++) {
    const began = performance.now();
    await work(index);
    samples.push(performance.now() - began);
  }
  return samples;
}

const summary = (samples: number[]) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return { medianMs: round(median(sorted)), p95Ms: round(percentile(sorted, 95)), maxMs: round(sorted[sorted.length - 1]) };
};
const round = (value: number) => Math.round(value * 10) / 10;

/** A page of 50 of the listing, and `pages` pages following cursors, with a filter. */
async function pageTimes(server: BenchServer, filter: string, pages: number): Promise<number[]> {
  const samples: number[] = [];
  let cursor = '';
  for (let page = 0; page < pages; page++) {
    const began = performance.now();
    const answer = await server.call('GET', `/v1/namespaces/default/executions?limit=50${filter}${cursor}`);
    samples.push(performance.now() - began);
    if (answer.status !== 200) throw new Error(`listing ${filter}: ${JSON.stringify(answer.body)}`);
    if (!answer.body.nextCursor) break;
    cursor = `&cursor=${answer.body.nextCursor}`;
  }
  return samples;
}

export async function dashboard(): Promise<Record<string, unknown>> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pontoon-bench-dashboard-'));
  let server = await startBenchServer(['--store', storeFlag], { dataDir });
  try {
    for (const name of functions) await deployCommand(server, name, ['true'], { parallelism: 1000 });
    await server.stop();
    const filled = performance.now();
    await fill(dataDir);
    const fillSeconds = round((performance.now() - filled) / 1000);
    server = await startBenchServer(['--store', storeFlag], { dataDir });

    const hourAgo = encodeURIComponent(new Date(Date.now() - 3_600_000).toISOString());
    const listing: Record<string, unknown> = {};
    for (const [name, filter] of Object.entries({
      all: '',
      function: '&function=report',
      status: '&status=failed',
      functionAndStatus: '&function=report&status=timed_out',
      lastHour: `&createdSince=${hourAgo}`,
      functionLastHour: `&function=export&createdSince=${hourAgo}`,
    })) {
      await pageTimes(server, filter, 2); // warm the statement cache
      listing[name] = summary(await pageTimes(server, filter, 40));
    }
    const functionStats = summary(await timed(rounds, () => server.call('GET', '/v1/namespaces/default/stats/functions')));
    const series1h = summary(await timed(rounds, () => server.call('GET', '/v1/namespaces/default/stats/series?bucket=1m')));
    const series24h = summary(await timed(rounds, () => server.call('GET', '/v1/namespaces/default/stats/series?bucket=15m&since=' + encodeURIComponent(new Date(Date.now() - 86_400_000).toISOString()))));

    // In the browser: a fresh profile each round, so nothing is cached.
    const firstViewSamples: number[] = [];
    const statsShownSamples: number[] = [];
    const olderSamples: number[] = [];
    const olderInPageSamples: number[] = [];
    for (let index = 0; index < rounds; index++) {
      const browser = await launchBrowser();
      try {
        const page = await browser.context.newPage();
        const began = performance.now();
        await page.goto(`${server.url}/`);
        // Interactive: every function's row is there with its Invoke button and links.
        await page.locator('table.functions tbody tr').nth(functions.length - 1).getByRole('button', { name: 'Invoke…' }).waitFor({ timeout: 30_000 });
        firstViewSamples.push(performance.now() - began);
        await page.locator('tr[data-function="billing"] td.num', { hasText: '%' }).first().waitFor({ timeout: 30_000 });
        statsShownSamples.push(performance.now() - began);
        await page.goto(`${server.url}/#/executions`);
        await page.locator('table.executions tbody tr').first().waitFor();
        for (let step = 0; step < 5; step++) {
          const first = await page.locator('table.executions tbody tr').first().getAttribute('data-execution');
          const clicked = performance.now();
          await page.getByRole('button', { name: 'Older →' }).click();
          // The next page's rows, not the empty moment while it loads (a missing row is not a new one).
          await page.waitForFunction((id) => {
            const row = document.querySelector('table.executions tbody tr');
            return row !== null && row.getAttribute('data-execution') !== id;
          }, first);
          olderSamples.push(performance.now() - clicked);
        }
        // The same, timed inside the page: from the click to the next page's rows in the DOM (and
        // the frame after), without Playwright's actionability checks and CDP round trips.
        for (let step = 0; step < 5; step++) olderInPageSamples.push(await page.evaluate(olderInPage));
      } finally {
        await browser.close();
      }
    }
    return {
      store: storeFlag === 'sqlite' ? 'sqlite' : 'postgres',
      executions: total,
      fillSeconds,
      firstViewInteractiveInChromium: summary(firstViewSamples),
      lastHourStatsShownInChromium: summary(statsShownSamples),
      loadAverage: loadavg().map(round),
      olderPageInChromium: summary(olderSamples),
      olderPageInPage: summary(olderInPageSamples),
      listingPageOf50: listing,
      functionStats,
      series1hBy1m: series1h,
      series24hBy15m: series24h,
    };
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
    if (storeFlag !== 'sqlite') {
      const client = new pg.Client({ connectionString: storeChoice });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(await dashboard(), null, 2));
