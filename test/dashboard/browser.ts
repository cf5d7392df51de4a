import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`, as .ci/run does); Playwright never downloads one here. */
export const chromiumPath = process.env.PONTOON_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Why the browser tests cannot run here, or undefined when they can. Without Chromium they skip
 * with a visible reason, except in CI (CI set), where a missing browser must fail the run.
 */
export function browserSkipReason(): string | undefined {
  if (existsSync(chromiumPath)) return undefined;
  const reason = `no Chromium at ${chromiumPath}: apt-get install -y chromium (or set PONTOON_CHROMIUM)`;
  if (process.env.CI) throw new Error(`dashboard tests cannot run in CI: ${reason}`);
  process.stderr.write(`# skipping dashboard tests: ${reason}\n`);
  return reason;
}

/** A headless Chromium with a fresh, empty profile; `close()` ends it and removes the profile. */
export interface TestBrowser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Launches Chromium headless, offline-minded: no first-run, sync, component updates or background networking. */
export async function launchBrowser(options: { colorScheme?: 'light' | 'dark'; width?: number; height?: number } = {}): Promise<TestBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'pontoon-chromium-'));
  // launchPersistentContext is Playwright's way to give Chromium its --user-data-dir.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: options.width ?? 1366, height: options.height ?? 800 },
    colorScheme: options.colorScheme ?? 'light',
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
