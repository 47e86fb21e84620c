import { FAULT_KIND_DEFS } from '../../libs/core/src/faults/kinds/fault-kind-def.registry';
import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { useStack } from '../support/stack.fixture';
import { buildWebUi, launchChromium, seriousA11yViolations, unlabelledControls } from './support/browser';
import { expectText, expectValue } from './support/page-checks';

// The GameDay editor's form (generated from the spec's JSON schema) in Debian's Chromium against
// the real API, under the UI's content policy: no run is started, so no worker.
jest.setTimeout(120_000);

describe('the GameDay editor form in a real browser', () => {
  const name = `browser form ${randomUUID().slice(0, 8)}`;
  beforeAll(() => buildWebUi(), 120_000);
  const stack = useStack({ name: 'browser-form', api: { listen: true }, users: ['operator'], marker: name });
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  const policyViolations: string[] = [];
  const requests: string[] = [];

  /** A page signed in as the operator (the token put in sessionStorage before the app loads). */
  async function operatorPage(options: { bypassCSP?: boolean } = {}): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
    await context.addInitScript(
      `sessionStorage.setItem('gameday.token', ${JSON.stringify(stack.user('operator').token)})`,
    );
    const page = await context.newPage();
    page.on('console', (m) => {
      if (/Content Security Policy|unsafe-eval/i.test(m.text())) policyViolations.push(m.text());
    });
    page.on('pageerror', (e) => policyViolations.push(`page error: ${e.message}`));
    page.on('request', (r) => requests.push(new URL(r.url()).pathname));
    return page;
  }

  beforeAll(async () => {
    ({ browser, close: closeBrowser } = await launchChromium());
  }, 60_000);
  stack.beforeClose(async () => {
    await closeBrowser?.();
  });

  /** The new-GameDay form, loaded (its chunk and validators come after the page). */
  async function newGameDayForm(page: Page) {
    await page.goto(`${stack.url}/gamedays/new`);
    await page.locator('#spec_name').waitFor();
    expect(await page.getByRole('tab', { name: 'Form' }).getAttribute('aria-selected')).toBe('true');
  }

  it('creates a GameDay through the form only, choosing its fault kind from the union, and lists it', async () => {
    const page = await operatorPage();
    await newGameDayForm(page);
    await page.locator('#spec_name').fill(name);
    await page.locator('#spec_experiments_0_hypothesis_probes_0_url').fill('http://127.0.0.1:9/health');
    await page.locator('#spec_experiments_0_hypothesis_probes_0_interval').fill('1s');
    // every kind of the fault union is a choice; choosing one shows that kind's own fields
    const kind = page.getByLabel('fault kind');
    expect(await kind.locator('option').allInnerTexts()).toEqual(FAULT_KIND_DEFS.map((d) => d.name));
    await kind.selectOption({ label: 'container' });
    await page.locator('#spec_experiments_0_fault_action').selectOption('pause');
    expect(await page.locator('#spec_experiments_0_fault_netem_delay').count()).toBe(0);
    await page.locator('#spec_experiments_0_fault_target_container').fill('form-target');

    // the YAML view shows the same value, and coming back keeps it
    await page.getByRole('tab', { name: 'YAML' }).click();
    const yaml = page.getByLabel('GameDay spec (JSON or YAML)');
    await expectValue(yaml, new RegExp(`name: ${name}[\\s\\S]*kind: container[\\s\\S]*action: pause`));
    await page.getByRole('tab', { name: 'Form' }).click();
    await expectValue(page.locator('#spec_name'), new RegExp(`^${name}$`));
    // rjsf's selects hold option indexes: the chosen option's text is what the user sees
    await expectText(page.locator('#spec_experiments_0_fault_action option:checked'), /^pause$/);
    await expectText(kind.locator('option:checked'), /^container$/);

    await page.getByRole('button', { name: 'Create GameDay' }).click();
    await page.waitForURL(/\/gamedays\/[0-9a-f-]{36}$/);
    const id = page.url().split('/').pop()!;
    stack.gameDayIds.push(id);
    await page.getByRole('heading', { name: new RegExp(name) }).waitFor();
    const saved = (await (await fetch(`${stack.url}/api/v1/gamedays/${id}`, { headers: stack.admin })).json()) as {
      spec: { experiments: { fault: Record<string, unknown> }[] };
    };
    expect(saved.spec.experiments[0].fault).toMatchObject({
      kind: 'container',
      action: 'pause',
      target: { container: 'form-target' },
    });

    // the list: one request for the page, none per row
    requests.length = 0;
    await page.getByRole('link', { name: 'GameDays' }).first().click();
    await page.getByLabel('Name contains').fill(name);
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expectText(page.locator('tbody tr', { hasText: name }), new RegExp(`${name}[\\s\\S]*active`));
    expect(requests.filter((p) => /^\/api\/v1\/gamedays\/[^/]+\/runs/.test(p))).toEqual([]);
    expect(requests.filter((p) => p === '/api/v1/gamedays').length).toBeLessThanOrEqual(2);
    expect(policyViolations).toEqual([]);
  });

  it("shows the API's refusal of a field under that field of the form", async () => {
    const page = await operatorPage();
    await newGameDayForm(page);
    await page.locator('#spec_name').fill(`${name} refused`);
    // a string to the schema, not a duration to the API: only the server can refuse it
    await page.locator('#spec_experiments_0_durations_baseline').fill('soon');
    await page.getByRole('button', { name: 'Create GameDay' }).click();
    await expectText(page.locator('#spec-errors'), /experiments\[0\]\.durations\.baseline/);
    await expectText(page.locator('#spec_experiments_0_durations_baseline__error'), /\S/);
    expect(page.url()).toMatch(/\/gamedays\/new$/);
    expect(policyViolations).toEqual([]);
  });

  it('has labels on every control and no serious axe violation, errors shown included', async () => {
    // axe is injected as a script: this context alone bypasses the policy
    const page = await operatorPage({ bypassCSP: true });
    await newGameDayForm(page);
    expect(await unlabelledControls(page)).toEqual([]);
    expect(await seriousA11yViolations(page)).toEqual([]);
    await page.locator('#spec_experiments_0_durations_baseline').fill('soon');
    await page.getByRole('button', { name: 'Create GameDay' }).click();
    await page.locator('#spec-errors').waitFor();
    expect(await seriousA11yViolations(page)).toEqual([]);
    await page.getByRole('tab', { name: 'YAML' }).click();
    expect(await unlabelledControls(page)).toEqual([]);
    expect(await seriousA11yViolations(page)).toEqual([]);
  });
});
