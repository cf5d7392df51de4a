#!/usr/bin/env node
// Takes the README's dashboard screenshots (docs/screenshots/*.png) with the Chromium the tests
// use, against a throwaway Pontoon with a few functions and executions. Run after `npm run build`:
//   node scripts/dashboard-screenshots.mjs
import { fileURLToPath } from 'node:url';
import { launchBrowser } from '../dist/test/dashboard/browser.js';
import { isDone, startTestPontoon } from '../dist/test/helpers/pontoon.js';

const out = fileURLToPath(new URL('../docs/screenshots/', import.meta.url));
const ns = '/v1/namespaces/default';
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const pontoon = await startTestPontoon({ capacity: 8 });
const browser = await launchBrowser({ width: 1440, height: 900 });
try {
  await pontoon.deploy('thumbnail', {
    runtime: 'command',
    command: ['sh', '-c', 'echo "resizing $(cat "$PONTOON_INPUT")"; sleep 0.$(( $(od -An -N1 -tu1 /dev/urandom) % 8 + 1 )); echo done; echo "{\\"width\\": 320}" > "$PONTOON_OUTPUT"'],
    parallelism: 4,
  });
  await pontoon.deploy('sync-ledger', {
    runtime: 'command',
    command: ['sh', '-c', 'echo "attempt $PONTOON_ATTEMPT"; echo "fetching rows"; sleep 0.3; [ "$PONTOON_ATTEMPT" -ge 3 ] || { echo "upstream answered 503" >&2; exit 1; }; echo "synced 1200 rows"'],
    retry: { limit: 3, backoff: { initial: '1s', factor: 2, max: '10s', jitter: false }, on: ['failure', 'timeout', 'lost'] },
  });
  await pontoon.deploy('nightly-report', {
    runtime: 'command',
    command: ['sh', '-c', 'echo report; sleep 1'],
    schedules: [{ cron: '0 2 * * *', timezone: 'UTC' }],
    triggers: [{ cloudevent: { type: 'com.example.report.requested' } }],
  });
  const ids = [];
  for (let n = 0; n < 24; n++) ids.push((await pontoon.request('POST', `${ns}/functions/thumbnail/invoke`, { image: `photo-${n}.jpg` })).body.id);
  const retried = (await pontoon.request('POST', `${ns}/functions/sync-ledger/invoke`, { ledger: 'eu-west' })).body.id;
  await pontoon.request('POST', `${ns}/functions/nightly-report/invoke`, { day: '2026-12-03' });
  for (const id of ids) await pontoon.waitFor(id, isDone, 60_000);
  await pontoon.waitFor(retried, isDone, 60_000);
  await pontoon.request('POST', `${ns}/functions/thumbnail/invoke`, { image: 'photo-late.jpg' });

  const page = await browser.context.newPage();
  await page.goto(`${pontoon.url}/#/functions`);
  await page.locator('tr[data-function="thumbnail"] td.num', { hasText: '%' }).first().waitFor();
  await page.screenshot({ path: `${out}functions.png` });
  await page.goto(`${pontoon.url}/#/executions`);
  await page.locator('table.executions tbody tr').nth(20).waitFor();
  await sleep(300);
  await page.screenshot({ path: `${out}executions.png` });
  await page.goto(`${pontoon.url}/#/executions/${retried}`);
  await page.locator('[data-step="attempt 3 succeeded"]').waitFor();
  await page.locator('.log-line').first().waitFor();
  await page.screenshot({ path: `${out}execution.png`, fullPage: true });
  const dark = await launchBrowser({ width: 1440, height: 900, colorScheme: 'dark' });
  try {
    const darkPage = await dark.context.newPage();
    await darkPage.goto(`${pontoon.url}/#/charts?window=15m`);
    await darkPage.locator('.chart canvas').nth(3).waitFor();
    await sleep(300);
    await darkPage.screenshot({ path: `${out}charts-dark.png` });
  } finally {
    await dark.close();
  }
  console.log(`screenshots written to ${out}`);
} finally {
  await browser.close();
  await pontoon.close();
}
