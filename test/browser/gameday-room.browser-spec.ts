import Docker from 'dockerode';
import { randomUUID } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ensureLabTargetImage } from '../../tools/lab/lab-images';
import { waitFor } from '../support/harness';
import { useStack } from '../support/stack.fixture';
import { buildWebUi, launchChromium, screenshot, seriousA11yViolations, unlabelledControls } from './support/browser';
import { expectText, expectValue, gameDayYaml } from './support/page-checks';

// The web UI in Debian's Chromium against the real API and a real worker (Postgres, Redis, Docker):
// a container fault (pause) on a real HTTP target, since the host kernel has no netem.
jest.setTimeout(120_000);

const docker = new Docker();
const TARGET = `web-ui-target-${randomUUID().slice(0, 8)}`;

describe('the GameDay room in a real browser', () => {
  const name = `browser room ${randomUUID().slice(0, 8)}`;
  // the API serves the web UI it finds when it starts: built first
  beforeAll(() => buildWebUi(), 120_000);
  const stack = useStack({
    name: 'browser',
    api: { listen: true },
    worker: 'real',
    users: ['operator', 'viewer'],
    marker: name,
  });
  let targetUrl = '';
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  let operator: BrowserContext;
  let page: Page;
  const state = { gameDayId: '', completedRunId: '', stoppedRunId: '' };
  const paused = async () => (await docker.getContainer(TARGET).inspect()).State.Paused;
  const currentPhase = (p: Page) => p.locator('.phases li[aria-current="step"]');

  /** A context already signed in (the token put in sessionStorage before the app loads). */
  async function signedInContext(token: string, options: { bypassCSP?: boolean } = {}) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
    await context.addInitScript(`sessionStorage.setItem('gameday.token', ${JSON.stringify(token)})`);
    return context;
  }

  beforeAll(async () => {
    const image = await ensureLabTargetImage(docker);
    const c = await docker.createContainer({ name: TARGET, Image: image, Labels: { 'gameday.enabled': 'true' } });
    await c.start();
    targetUrl = `http://${(await c.inspect()).NetworkSettings.Networks.bridge.IPAddress}/`;
    ({ browser, close: closeBrowser } = await launchChromium());
    operator = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await operator.newPage();
  }, 120_000);

  // the pages go before the API they are connected to
  stack.beforeClose(async () => {
    await closeBrowser?.();
  });

  afterAll(async () => {
    await docker
      .getContainer(TARGET)
      .remove({ force: true })
      .catch(() => undefined);
  });

  it('serves the web UI at / and every UI path, leaving API paths to the API', async () => {
    const root = await fetch(stack.url);
    expect(root.status).toBe(200);
    expect(root.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    expect(await root.text()).toContain('<div id="root">');
    const deep = await fetch(`${stack.url}/runs/${randomUUID()}`);
    expect([deep.status, deep.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8']);
    const apiPath = await fetch(`${stack.url}/api/v1/no-such-route`);
    expect([apiPath.status, apiPath.headers.get('content-type')]).toEqual([
      404,
      'application/problem+json; charset=utf-8',
    ]);
  });

  it('signs in with a token', async () => {
    await page.goto(stack.url);
    await page.getByLabel('API token').fill('not-a-token-at-all');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expectText(page.getByRole('alert'), /401/);
    await page.getByLabel('API token').fill(stack.user('operator').token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'GameDays' }).waitFor();
    await expectText(page.locator('.who'), /operator/);
  });

  it("creates a GameDay from pasted YAML, showing the API's field errors beside the input", async () => {
    await page.getByRole('link', { name: 'New GameDay' }).first().click();
    // the form is the first tab (gameday-editor.browser-spec); this one pastes YAML
    await page.getByRole('tab', { name: 'YAML' }).click();
    const input = page.getByLabel('GameDay spec (JSON or YAML)');
    await input.fill(gameDayYaml(name, targetUrl, TARGET, '6s').replace('baseline: 3s', 'baseline: soon'));
    await page.getByRole('button', { name: 'Create GameDay' }).click();
    await expectText(page.locator('#spec-errors'), /experiments\[0\]\.durations\.baseline/);
    expect(await input.getAttribute('aria-describedby')).toBe('spec-errors');
    await input.fill(gameDayYaml(name, targetUrl, TARGET, '6s'));
    await page.getByRole('button', { name: 'Create GameDay' }).click();
    await page.waitForURL(/\/gamedays\/[0-9a-f-]{36}$/);
    state.gameDayId = page.url().split('/').pop()!;
    stack.gameDayIds.push(state.gameDayId);
    await page.getByRole('heading', { name: new RegExp(name) }).waitFor();
    // the spec for people: the fault, the probe, both timezones of the schedule
    await expectText(page.locator('main'), new RegExp(`container=${TARGET}`));
    await expectText(page.locator('main'), /GameDay time \(Europe\/Paris\)/);
  });

  it('watches a real run go through its phases live', async () => {
    await page.getByRole('button', { name: 'Run now' }).click();
    await page.waitForURL(/\/runs\/[0-9a-f-]{36}$/);
    state.completedRunId = page.url().split('/').pop()!;
    // arming runs alongside the baseline; the stream may coalesce the short baseline status
    await expectText(currentPhase(page), /arming|baseline/, 15_000);
    await expectText(page.getByTestId('countdown-inject'), /Injection: in \d+s/);
    await expectText(currentPhase(page), /observing/, 15_000);
    expect(await paused()).toBe(true);
    // the live chart gets the failing requests of the fault window while it lasts
    await expectText(page.locator('figcaption'), /[1-9]\d+ errors/, 8_000);
    await expectText(page.locator('.title-row'), /● live/);
    await screenshot(page, 'run-live', 'docs/screenshots/run-page.png');
    await expectText(currentPhase(page), /recovery/, 15_000);
    await expectText(currentPhase(page), /completed/, 20_000);
    await expectText(page.locator('h1'), /held/);
    await expectText(page.locator('.title-row'), /not live/);
    expect(await paused()).toBe(false);
    // every phase of the plan was entered (from the timeline the page received)
    expect(await page.locator('.phases li.done').allInnerTexts()).toEqual([
      'scheduled',
      'arming',
      'baseline',
      'injecting',
      'observing',
      'rolling back',
      'recovery',
    ]);
  });

  it('edits the GameDay, then stops its next run with the keyboard and takes notes during it', async () => {
    await page.goto(`${stack.url}/gamedays/${state.gameDayId}/edit`);
    await page.getByRole('tab', { name: 'YAML' }).click();
    const input = page.getByLabel('GameDay spec (JSON or YAML)');
    await expectValue(input, /fault: 6s/);
    await input.fill((await input.inputValue()).replace('fault: 6s', 'fault: 60s'));
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.waitForURL(new RegExp(`/gamedays/${state.gameDayId}$`));
    await expectText(page.locator('main'), /fault 60s/);

    await page.getByRole('button', { name: 'Run now' }).click();
    await page.waitForURL(/\/runs\/[0-9a-f-]{36}$/);
    state.stoppedRunId = page.url().split('/').pop()!;
    await expectText(currentPhase(page), /observing/, 20_000);
    expect(await paused()).toBe(true);

    await page.getByLabel('Kind').selectOption('action_item');
    await page.getByLabel('Text', { exact: true }).fill('front has no timeout on the target');
    await page.getByLabel('Owner (action items)').fill('joe');
    await page.getByRole('button', { name: 'Add' }).click();
    await expectText(page.locator('.notes'), /front has no timeout on the target/);
    const done = page.getByRole('checkbox', { name: 'done: front has no timeout on the target' });
    await done.click();
    await waitFor('the action item ticked off', async () => (await done.isChecked()) || null);

    // keyboard only: from the top of the page, Tab reaches the emergency stop
    await page.locator('a.brand').focus();
    let reached = false;
    for (let i = 0; i < 40 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = (await page.evaluate('document.activeElement?.textContent')) === 'Emergency stop';
    }
    expect(reached).toBe(true);
    const pressed = Date.now();
    await page.keyboard.press('Enter');
    await waitFor('the revert', async () => !(await paused()) || null, 3_000, 20);
    console.log(`emergency stop from the browser: target running again ${Date.now() - pressed} ms after Enter`);
    await expectText(page.getByRole('status'), /Emergency stop requested/);
    await expectText(currentPhase(page), /aborted/, 15_000);
    await expectText(page.locator('h1'), /aborted/);
  });

  it('opens the report of the run', async () => {
    await page.getByRole('link', { name: 'Open the report' }).click();
    await page.waitForURL(/\/report$/);
    const report = page.frameLocator('iframe[title="Run report"]');
    await expectText(report.locator('body'), /aborted/, 10_000);
    await expectText(report.locator('body'), /front has no timeout on the target/);
    // an operator's stop says nothing about the system: no score, and the report says why
    await expectText(report.locator('body'), /Resilience score: none \(aborted by an operator before a verdict/);
    for (const format of ['Markdown', 'JUnit XML', 'JSON'])
      expect(await page.getByRole('button', { name: `Download ${format}` }).count()).toBe(1);
    await screenshot(page, 'report');
  });

  it('shows the history and the trend across runs on the GameDay page', async () => {
    await page.goto(`${stack.url}/gamedays/${state.gameDayId}`);
    const history = page.locator('section[aria-labelledby="runs-heading"]');
    const rows = page.getByRole('table', { name: 'Run history' }).locator('tbody tr');
    await waitFor('two runs in the history', async () => (await rows.count()) === 2 || null, 10_000);
    await expectText(rows.nth(0), /aborted/);
    await expectText(rows.nth(1), /held/);
    // the trend chart across runs is drawn
    expect(await history.locator('canvas').count()).toBeGreaterThan(0);
    await expectText(history.locator('.u-legend'), /deviation ratio/);
    // the resilience score: the held run is scored, the stopped one is not (and says why)
    const trend = history.locator('.score-trend');
    await expectText(trend, /Resilience score: latest \d+(\.\d)? \/ 100 · mean \d+(\.\d)? over 1 scored run\b/);
    await trend.getByText('Scores by run').click();
    await expectText(trend.locator('li').nth(1), /none \(aborted by an operator before a verdict/);
    await expectText(rows.nth(1).locator('td').nth(4), /^\d+(\.\d)?$/);
    await screenshot(page, 'gameday', 'docs/screenshots/gameday-page.png');

    // a dry run goes through the worker and names the target it would pause, applying nothing
    await page.getByRole('button', { name: 'Dry run' }).click();
    await expectText(page.locator('section[aria-labelledby="dry-run-heading"]'), new RegExp(TARGET), 15_000);
    expect(await paused()).toBe(false);

    // the list: filtered by name, with the last verdict and the trend of the recent runs, both
    // carried by the list's answer (no request per row)
    await page.getByRole('link', { name: 'GameDays' }).first().click();
    await page.getByLabel('Name contains').fill(name);
    await page.getByRole('button', { name: 'Apply filters' }).click();
    const row = page.locator('tbody tr', { hasText: name });
    await expectText(row, /aborted/);
    expect(
      await page.getByRole('img', { name: new RegExp(`deviation ratio of the last 2 runs of ${name}`) }).count(),
    ).toBe(1);
    await screenshot(page, 'gamedays');
  });

  it('gives a viewer no controls, and no fault details in blind mode until the operator reveals it live', async () => {
    const admin = { ...stack.admin, 'Content-Type': 'application/json' };
    const { spec } = (await (
      await fetch(`${stack.url}/api/v1/gamedays/${state.gameDayId}`, { headers: admin })
    ).json()) as {
      spec: { experiments: { durations: { fault: string } }[] };
    };
    spec.experiments[0].durations.fault = '6s';
    const blind = await fetch(`${stack.url}/api/v1/gamedays`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ ...spec, name: `${name} blind`, mode: 'blind' }),
    });
    expect([blind.status, blind.status === 201 ? '' : await blind.text()]).toEqual([201, '']);
    const blindId = ((await blind.json()) as { id: string }).id;
    stack.gameDayIds.push(blindId);
    const context = await signedInContext(stack.user('viewer').token);
    const viewer = await context.newPage();
    await viewer.goto(`${stack.url}/runs/${state.stoppedRunId}`);
    await expectText(currentPhase(viewer), /aborted/);
    expect(await viewer.getByRole('button', { name: 'Emergency stop' }).count()).toBe(0);
    expect(await viewer.getByRole('button', { name: 'Add' }).count()).toBe(0);
    expect(await viewer.getByRole('link', { name: 'New GameDay' }).count()).toBe(0);
    await viewer.goto(`${stack.url}/gamedays/${blindId}`);
    await expectText(viewer.locator('main'), /hidden until the champion reveals it/);
    expect(await viewer.locator('main').innerText()).not.toContain(TARGET);
    expect(await viewer.getByRole('button', { name: 'Run now' }).count()).toBe(0);

    // a blind run: the viewer's live timeline hides the target until the operator reveals it
    await page.goto(`${stack.url}/gamedays/${blindId}`);
    await page.getByRole('button', { name: 'Run now' }).click();
    await page.waitForURL(/\/runs\/[0-9a-f-]{36}$/);
    await viewer.goto(page.url());
    await expectText(currentPhase(viewer), /observing/, 20_000);
    await expectText(viewer.locator('.timeline'), /fault details hidden until revealed/);
    expect(await viewer.locator('main').innerText()).not.toContain(TARGET);
    await page.getByRole('button', { name: 'Reveal the fault to participants' }).click();
    await expectText(viewer.locator('.timeline'), new RegExp(`target\\(s\\): ${TARGET}`), 5_000);
    await expectText(viewer.locator('.timeline'), /gameday\.revealed/);
    await expectText(currentPhase(viewer), /completed/, 30_000);
    await context.close();
  });

  it('passes the accessibility basics: labels, contrast, no serious axe violations', async () => {
    const context = await signedInContext(stack.user('operator').token, { bypassCSP: true });
    const p = await context.newPage();
    const pages = ['/', `/gamedays/${state.gameDayId}`, `/runs/${state.completedRunId}`, '/gamedays/new'];
    const problems: string[] = [];
    for (const path of pages) {
      await p.goto(`${stack.url}${path}`);
      await p.locator('main h1').first().waitFor();
      await p.waitForLoadState('networkidle').catch(() => undefined);
      problems.push(...(await unlabelledControls(p)).map((c) => `${path}: unlabelled ${c}`));
      problems.push(...(await seriousA11yViolations(p)).map((v) => `${path}: ${v}`));
    }
    await context.close();
    const signIn = await browser.newContext({ bypassCSP: true });
    const s = await signIn.newPage();
    await s.goto(stack.url);
    await s.getByLabel('API token').waitFor();
    problems.push(...(await seriousA11yViolations(s)).map((v) => `sign-in: ${v}`));
    await signIn.close();
    expect(problems).toEqual([]);
  });
});
