import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

const ROOT = path.resolve(__dirname, '../../..');
export const SCREENSHOTS = path.join(ROOT, '.cache/screenshots');
export const CHROMIUM = process.env.GAMEDAY_CHROMIUM ?? '/usr/bin/chromium';

/** Flags that keep Chromium quiet on a closed network (no update, sync or QUIC chatter). */
const QUIET = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Builds the web UI from the sources under test into dist/web (what the API serves). */
export function buildWebUi(): void {
  execFileSync(
    process.execPath,
    [path.join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', 'apps/web', '--logLevel', 'warn'],
    {
      cwd: ROOT,
      stdio: 'inherit',
    },
  );
}

/** Debian's Chromium, headless; a missing binary fails the suite. */
export async function launchChromium(): Promise<{ browser: Browser; close: () => Promise<void> }> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/bootstrap.sh browser`);
  // launch() gives Chromium a new temporary profile of its own and removes it on close
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: QUIET });
  return { browser, close: () => browser.close() };
}

export async function screenshot(page: Page, name: string, copyTo?: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  // the README's screenshots change only on request, so a test run leaves the tree clean
  if (copyTo && process.env.GAMEDAY_UPDATE_SCREENSHOTS === '1')
    await page.screenshot({ path: path.join(ROOT, copyTo), fullPage: false });
  return file;
}

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/**
 * Runs axe-core in the page (labels, contrast, landmarks…) and returns the serious and critical
 * violations. The page's context needs bypassCSP: the UI's policy rightly refuses injected scripts.
 */
export async function seriousA11yViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
  // evaluated as text: this file is compiled without the DOM library
  const violations = (await page.evaluate('axe.run(document).then((r) => r.violations)')) as AxeViolation[];
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** Form controls without an accessible label (a <label for>, aria-label or aria-labelledby). */
export async function unlabelledControls(page: Page): Promise<string[]> {
  return (await page.evaluate(`[...document.querySelectorAll('input, select, textarea')]
    .filter((c) => !(c.labels?.length || c.getAttribute('aria-label') || c.getAttribute('aria-labelledby')))
    .map((c) => c.outerHTML.slice(0, 120))`)) as string[];
}
