// Debian's chromium driven by playwright-core, for the HTML report test and its screenshot: no
// browser download, a fresh profile each launch, and nothing of the browser's own that phones home.
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function chromiumMissing(): string | undefined {
  return existsSync(CHROMIUM)
    ? undefined
    : `${CHROMIUM} not found: apt-get install chromium (or set CHROMIUM_PATH)`;
}

/** A headless chromium; `await using` closes it however the test ends. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** What a page did while it loaded: every request it made and every console error or page error. */
export interface OpenedPage {
  page: Page;
  /** Requests other than the file itself; each was refused. */
  otherRequests: string[];
  errors: string[];
}

/**
 * Opens a local file in a new page. Every request but the file's own is recorded and aborted, so a
 * page that would fetch something (a CDN script, a font) is caught even without a network.
 */
export async function openFile(
  browser: Browser,
  file: string,
  viewport = { width: 1200, height: 900 },
): Promise<OpenedPage> {
  const url = pathToFileURL(file).href;
  const context = await browser.newContext({ viewport, serviceWorkers: 'block' });
  const page = await context.newPage();
  const opened: OpenedPage = { page, otherRequests: [], errors: [] };
  await context.route('**/*', (route) => {
    const requested = route.request().url();
    if (requested === url) return route.continue();
    opened.otherRequests.push(requested);
    return route.abort();
  });
  page.on('console', (m) => {
    if (m.type() === 'error') opened.errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (err) => opened.errors.push(`page: ${err.message}`));
  await page.goto(url, { waitUntil: 'load' });
  return opened;
}
