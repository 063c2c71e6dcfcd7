import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';

/** Headless Debian Chromium with the flags this closed network needs (no background traffic). */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/**
 * Saves a full-page screenshot under test-results/ for a human to look at; never asserted on. Taken from the top,
 * so the sticky header and sidebar are drawn where they belong.
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  const dir = join(process.cwd(), 'test-results');
  mkdirSync(dir, { recursive: true });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
}

/** Opens `path` of the console at `baseUrl`, is sent to the login page, signs in as `user` and lands back on `path`. */
export async function signInThroughConsole(page: Page, baseUrl: string, user: { email: string; password: string }, path: string): Promise<void> {
  await page.goto(`${baseUrl}${path}`);
  await page.waitForURL(/\/login/);
  await page.getByTestId('login-email').fill(user.email);
  await page.getByTestId('login-password').fill(user.password);
  await page.getByTestId('login-submit').click();
  await page.waitForURL((u) => u.pathname === path);
}

/** Every response body the page received, to prove what did (and did not) cross the wire. */
export function recordTraffic(page: Page): { bodies: { url: string; body: string }[] } {
  const traffic = { bodies: [] as { url: string; body: string }[] };
  page.on('response', async (res) => {
    try {
      traffic.bodies.push({ url: res.url(), body: await res.text() });
    } catch {
      // redirects and aborted requests have no body
    }
  });
  return traffic;
}

/**
 * For a failure message built after a wait has already timed out: says what could not be read, and why, in place of
 * the value. A second error thrown here would hide the first, which is the one the test is about.
 */
export function unreadable(err: unknown): string {
  return `unreadable (${err instanceof Error ? (err.message.split('\n')[0] ?? err.name) : String(err)})`;
}
