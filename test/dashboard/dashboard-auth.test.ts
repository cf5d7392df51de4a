import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { stringify } from 'yaml';
import { hashToken } from '../../src/api/auth/tokens.js';
import { startTestPontoon, type TestPontoon } from '../helpers/pontoon.js';
import { browserSkipReason, launchBrowser, type TestBrowser } from './browser.js';

const skip = browserSkipReason();
const token = 'dashboard-viewer-token';

describe('the dashboard with auth on, in a real Chromium', { skip }, () => {
  let pontoon: TestPontoon;
  let browser: TestBrowser;
  let page: Page;
  const sentAuthorization: (string | undefined)[] = [];

  before(async () => {
    pontoon = await startTestPontoon({ auth: { tokens: stringify({ tokens: [{ name: 'dash', sha256: hashToken(token), roles: { default: 'viewer' } }] }) } }, token);
    const deployed = await pontoon.request('PUT', '/v1/namespaces/default/functions/hello', { apiVersion: 'pontoon.dev/v1', kind: 'Function', metadata: { name: 'hello' }, spec: { runtime: 'command', command: ['true'] } }, { authorization: '' });
    assert.equal(deployed.status, 401);
    browser = await launchBrowser();
    page = await browser.context.newPage();
    page.setDefaultTimeout(20_000);
    page.on('request', (request) => {
      if (request.url().includes('/v1/')) sentAuthorization.push(request.headers().authorization);
    });
  });
  after(async () => {
    await browser?.close();
    await pontoon?.close();
  });

  it('asks for a token when the API answers 401, then sends it as a bearer header for the session', async () => {
    await page.goto(`${pontoon.url}/`);
    const dialog = page.getByRole('dialog', { name: 'Sign in with a token' });
    await dialog.waitFor();
    await dialog.getByLabel('Token').fill(token);
    await dialog.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Functions' }).waitFor();
    await page.getByText('No functions yet').waitFor();
    assert.equal(await page.getByRole('dialog', { name: 'Sign in with a token' }).count(), 0);
    assert.ok(sentAuthorization.includes(`Bearer ${token}`), JSON.stringify(sentAuthorization));
  });

  it('asks again when the token kept is refused', async () => {
    await page.evaluate(() => sessionStorage.setItem('pontoon.token', 'wrong'));
    await page.reload();
    await page.getByText('The server did not accept that token').waitFor();
  });
});
