import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { startTestPontoon, type TestPontoon } from '../helpers/pontoon.js';
import { browserSkipReason, launchBrowser, type TestBrowser } from './browser.js';

const skip = browserSkipReason();

// Prints a numbered line every 100 ms for a minute: long enough to watch it stream, then cancel it.
const tickerYaml = `apiVersion: pontoon.dev/v1
kind: Function
metadata:
  name: ticker
spec:
  runtime: command
  command: [sh, -c, 'i=0; while [ $i -lt 600 ]; do echo "tick $i"; i=$((i+1)); sleep 0.1; done']
  timeout: 2m
`;

/** Every text of the log lines shown. */
const shownLines = (page: Page) => page.locator('.logs .log-line').allInnerTexts();

describe('the dashboard, in a real Chromium', { skip }, () => {
  let pontoon: TestPontoon;
  let browser: TestBrowser;
  let page: Page;
  const pageErrors: string[] = [];

  before(async () => {
    pontoon = await startTestPontoon();
    browser = await launchBrowser();
    page = await browser.context.newPage();
    page.setDefaultTimeout(20_000);
    page.on('pageerror', (error) => pageErrors.push(error.message));
  });
  after(async () => {
    await browser?.close();
    await pontoon?.close();
  });

  it('is served at / with its own files only, nothing from the network', async () => {
    const requested: string[] = [];
    page.on('request', (request) => requested.push(request.url()));
    await page.goto(`${pontoon.url}/`);
    await page.getByRole('heading', { name: 'Functions' }).waitFor();
    await page.getByText('No functions yet').waitFor();
    const foreign = requested.filter((url) => !url.startsWith(pontoon.url) && !url.startsWith('data:'));
    assert.deepEqual(foreign, []);
    assert.ok(requested.some((url) => url.endsWith('/main.js')));
  });

  it('is reachable from the keyboard: Tab reaches the deploy button, Enter opens its dialog, Escape closes it', async () => {
    let focused = '';
    for (let presses = 0; presses < 20 && focused !== 'Deploy a spec…'; presses++) {
      await page.keyboard.press('Tab');
      focused = await page.evaluate(() => document.activeElement?.textContent ?? '');
    }
    assert.equal(focused, 'Deploy a spec…');
    await page.keyboard.press('Enter');
    await page.getByRole('dialog').waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'hidden' });
  });

  it('shows the API’s own error when a deployed spec is invalid, and deploys a valid one', async () => {
    await page.getByRole('button', { name: 'Deploy a spec…' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Spec (YAML)').fill(tickerYaml.replace('runtime: command', 'runtime: cobol'));
    await dialog.getByRole('button', { name: 'Deploy ticker' }).click();
    const alert = dialog.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.innerText(), /INVALID_SPEC/);
    assert.match(await alert.innerText(), /spec\.runtime/);
    assert.equal((await pontoon.request('GET', '/v1/namespaces/default/functions/ticker')).status, 404);

    await dialog.getByLabel('Spec (YAML)').fill(tickerYaml);
    await dialog.getByRole('button', { name: 'Deploy ticker' }).click();
    await dialog.waitFor({ state: 'hidden' });
    const row = page.locator('tr[data-function="ticker"]');
    await row.waitFor();
    assert.match(await row.innerText(), /command/);
    assert.equal((await pontoon.request('GET', '/v1/namespaces/default/functions/ticker')).body.metadata.version, 1);
  });

  it('invokes with an input, watches the status change and the logs stream, then cancels', async () => {
    await page.locator('tr[data-function="ticker"]').getByRole('button', { name: 'Invoke…' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Input (JSON)').fill('{"from": "the dashboard"}');
    await dialog.getByRole('button', { name: 'Invoke ticker' }).click();

    // The invocation opens the new execution's page.
    await page.waitForURL(/#\/executions\/[^/?]+$/);
    const id = decodeURIComponent(page.url().split('/').at(-1)!);
    const stored = await pontoon.request('GET', `/v1/namespaces/default/executions/${id}`);
    assert.deepEqual(stored.body.input, { from: 'the dashboard' });
    const heading = page.getByRole('heading', { level: 1 });
    await heading.locator('[data-status="running"]').waitFor();
    assert.match(await page.locator('pre.json').first().innerText(), /the dashboard/);

    // The logs are followed live: lines keep arriving on the page without a reload.
    await page.getByText('following live').waitFor();
    await page.locator('.log-line', { hasText: 'tick 2' }).waitFor();
    const early = (await shownLines(page)).length;
    await page.locator('.log-line', { hasText: 'tick 15' }).waitFor();
    assert.ok((await shownLines(page)).length > early);
    assert.equal(await page.locator('[data-step="attempt 1 started"]').count(), 1);

    await page.getByRole('button', { name: 'Cancel…' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel execution' }).click();
    await heading.locator('[data-status="cancelled"]').waitFor();
    assert.equal((await pontoon.request('GET', `/v1/namespaces/default/executions/${id}`)).body.status, 'cancelled');
    await page.locator('[data-step="cancelled"]').waitFor();
    await page.getByText('following live').waitFor({ state: 'hidden' });
    assert.ok(!(await page.getByRole('button', { name: 'Cancel…' }).isEnabled()));
  });

  it('lists executions live and filters them by status', async () => {
    await page.getByRole('link', { name: 'Executions', exact: true }).first().click();
    const rows = page.locator('table.executions tbody tr');
    await rows.first().waitFor();
    assert.equal(await rows.count(), 1);
    // A new execution appears without a reload (the first page is polled).
    const invoked = await pontoon.request('POST', '/v1/namespaces/default/functions/ticker/invoke', { n: 2 });
    await page.locator(`tr[data-execution="${invoked.body.id}"]`).waitFor();
    await page.getByLabel('Status').selectOption('cancelled');
    await page.waitForURL(/status=cancelled/);
    await page.waitForFunction(() => document.querySelectorAll('table.executions tbody tr').length === 1);
    assert.match(await rows.first().innerText(), /cancelled/);
    await pontoon.request('POST', `/v1/namespaces/default/executions/${invoked.body.id}/cancel`);
  });

  it('shows a function’s limits, and why a delayed execution waits and when it may start', async () => {
    const deployed = await pontoon.deploy('tenants', { runtime: 'command', command: ['true'], rateLimit: { limit: 20, period: '1s' }, concurrency: { key: '/tenant', limit: 2 } });
    assert.equal(deployed.status, 201);
    const later = await pontoon.request('POST', '/v1/namespaces/default/functions/tenants/invoke?delay=10m', { tenant: 'acme' });
    await page.goto(`${pontoon.url}/`);
    const limits = page.locator('tr[data-function="tenants"] [data-limits]');
    await limits.waitFor();
    assert.equal(await limits.innerText(), 'parallelism 10 · 20 per 1s · 2 per key /tenant');
    await page.goto(`${pontoon.url}/#/executions/${later.body.id}`);
    const waiting = page.locator('[data-waiting="notBefore"]');
    await waiting.waitFor();
    assert.match(await waiting.innerText(), /^not before /);
    await page.getByText('Not before', { exact: true }).waitFor();
    assert.equal(await page.locator('[data-step="runs later"]').count(), 1);
    await page.getByText('acme', { exact: true }).waitFor();
    await pontoon.request('POST', `/v1/namespaces/default/executions/${later.body.id}/cancel`);
  });

  it('draws the charts and raised no page error', async () => {
    await page.getByRole('link', { name: 'Charts' }).click();
    await page.getByRole('img', { name: 'Throughput per 1m' }).locator('canvas').waitFor();
    assert.equal(await page.locator('.chart canvas').count(), 4);
    assert.deepEqual(pageErrors, []);
  });
});
