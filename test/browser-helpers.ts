// What the browser tests share: where chromium is (they skip with a message without it), a page
// that records console errors, uncaught exceptions and every URL it or its workers request, and
// the wait for a page's run to settle (data-status on <body>).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';

export const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
export const SKIP = CHROMIUM ? false : 'chromium is not installed (apt-get install chromium)';
/** The repository root (dist/test/ is two levels below it). */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export async function recordingPage(
  browser: Browser,
  url: string,
): Promise<{ page: Page; errors: string[]; requests: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1200, height: 1000 } });
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(url);
  return { page, errors, requests };
}

/** Waits until the page's run ends; its data-status, 'done' or 'error'. */
export async function waitSettled(page: Page): Promise<string> {
  await page.waitForFunction(`['done', 'error'].includes(document.body.dataset.status)`, undefined, {
    timeout: 120_000,
  });
  return (await page.evaluate('document.body.dataset.status')) as string;
}
