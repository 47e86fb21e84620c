import Docker from 'dockerode';
import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { ensureLabTargetImage } from '../../tools/lab/lab-images';
import { waitFor } from '../support/harness';
import { useStack } from '../support/stack.fixture';
import { buildWebUi, launchChromium, screenshot, seriousA11yViolations, unlabelledControls } from './support/browser';
import { expectText } from './support/page-checks';

// The steps of an experiment as lanes, in Chromium against the real API and worker: two container
// pauses (the host kernel has no netem), of A then of B, with a gate between them that waits for A
// to answer again. Watched live, then on the report page. (Two targets: two pause steps on one
// container do not arm today, the second one's watchdog stands the first one down.)
jest.setTimeout(90_000);

const docker = new Docker();
const RUN = randomUUID().slice(0, 8);
const TARGETS = [`web-lanes-a-${RUN}`, `web-lanes-b-${RUN}`];

describe('step lanes in the run room and the report, in a real browser', () => {
  const name = `browser lanes ${randomUUID().slice(0, 8)}`;
  beforeAll(() => buildWebUi(), 120_000);
  const stack = useStack({ name: 'lanes', api: { listen: true }, worker: 'real', users: ['operator'], marker: name });
  const urls: string[] = [];
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  let page: Page;
  let runId = '';
  let gameDayId = '';
  const paused = async (i: number) => (await docker.getContainer(TARGETS[i]).inspect()).State.Paused;
  const row = (step: string) => page.locator(`tr[data-step="${step}"]`);

  beforeAll(async () => {
    const image = await ensureLabTargetImage(docker);
    for (const target of TARGETS) {
      const c = await docker.createContainer({ name: target, Image: image, Labels: { 'gameday.enabled': 'true' } });
      await c.start();
      urls.push(`http://${(await c.inspect()).NetworkSettings.Networks.bridge.IPAddress}/`);
    }
    ({ browser, close: closeBrowser } = await launchChromium());
    // bypassCSP: axe-core is injected into the pages below (the UI's policy rightly refuses it)
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
    await context.addInitScript(
      `sessionStorage.setItem('gameday.token', ${JSON.stringify(stack.user('operator').token)})`,
    );
    page = await context.newPage();
  }, 120_000);

  stack.beforeClose(async () => {
    await closeBrowser?.();
  });

  afterAll(async () => {
    for (const target of TARGETS)
      await docker
        .getContainer(target)
        .remove({ force: true })
        .catch(() => undefined);
  });

  /** on a failure, what the run says (its status, error and timeline) */
  async function runStory(): Promise<string> {
    const res = await stack.http.get(`/api/v1/runs/${runId}`).set(stack.admin);
    const r = res.body as { status: string; error: string | null; events: { type: string; message: string }[] };
    return `run ${r.status}${r.error ? ` (${r.error})` : ''}:\n${r.events.map((e) => `  ${e.type}: ${e.message}`).join('\n')}`;
  }

  /** each lane's step and outcome, top to bottom */
  const outcomes = async () =>
    page
      .locator('table.lanes tbody tr')
      .evaluateAll((rows) => rows.map((r) => [r.getAttribute('data-step'), r.getAttribute('data-outcome')]));

  async function a11yProblems(label: string): Promise<string[]> {
    return [
      ...(await unlabelledControls(page)).map((c) => `${label}: unlabelled ${c}`),
      ...(await seriousA11yViolations(page)).map((v) => `${label}: ${v}`),
    ];
  }

  it('shows the lanes live: planned first, each step as it is applied, the gate passed, then the result', async () => {
    const pause = (i: number) => ({ kind: 'container', target: { container: TARGETS[i] }, action: 'pause' });
    const created = await stack.http
      .post('/api/v1/gamedays')
      .set(stack.admin)
      .send({
        name,
        timezone: 'UTC',
        schedule: { at: new Date(Date.now() + 3 * 3600_000).toISOString() },
        experiments: [
          {
            name: 'pause A, wait for it to answer, pause B',
            hypothesis: {
              description: 'A answers again before B is paused',
              probes: ['a', 'b'].map((p, i) => ({ name: p, url: urls[i], timeoutMs: 300, interval: '100ms' })),
            },
            steps: [
              { name: 'first-pause', fault: pause(0), duration: '3s' },
              {
                name: 'answers-again',
                gate: { metric: 'errorRate', atMost: 0, window: '1s', minSamples: 2, probe: 'a' },
                after: 'first-pause',
                // A's probes answer again within a second or two of its unpause; 3 s once failed in CI
                duration: '6s',
              },
              { name: 'second-pause', fault: pause(1), after: 'answers-again', duration: '2s' },
            ],
            // two helpers armed in 5.3 s beside CI's other lanes, past a 3 s reserve: the run failed
            durations: { arming: '8s', baseline: '2s', fault: '12s', recovery: '2s' },
          },
        ],
      });
    expect([created.status, created.status === 201 ? '' : JSON.stringify(created.body)]).toEqual([201, '']);
    stack.gameDayIds.push(created.body.id);
    gameDayId = created.body.id;
    const run = await stack.http.post(`/api/v1/gamedays/${created.body.id}/runs`).set(stack.admin).send({});
    expect(run.status).toBe(201);
    runId = run.body.id;
    await page.goto(`${stack.url}/runs/${runId}`);
    await watchLive().catch(async (error: Error) => {
      error.message += `\n${await runStory()}`;
      throw error;
    });
  });

  async function watchLive() {
    // the lanes are there before anything fires: three rows on their plan, in spec order
    const steps = page.getByRole('region', { name: 'steps of experiment 1' });
    await steps.waitFor({ timeout: 10_000 });
    expect(await steps.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-step')))).toEqual(
      ['first-pause', 'answers-again', 'second-pause'],
    );
    await expectText(row('answers-again').locator('td').first(), /^\+3\.0 s → \+9\.0 s$/);
    await expectText(row('second-pause').locator('td').first(), /^\+9\.0 s → \+11\.0 s$/);

    // the first step applied: its actual bar appears with the skew of its start
    await expectText(row('first-pause').locator('.lane-outcome'), /in place/, 15_000);
    expect(await paused(0)).toBe(true);
    await expectText(row('first-pause').locator('.lane-start'), /\+\d\.\d s, \d+ ms (late|early)/);
    expect(await row('first-pause').locator('.lane-actual').count()).toBe(1);
    expect(await row('second-pause').locator('.lane-actual').count()).toBe(0);
    await screenshot(page, 'step-lanes-live');

    // the gate opens at the first step's end and passes once the target answers again
    await expectText(row('first-pause').locator('.lane-outcome'), /completed/, 6_000);
    await expectText(row('answers-again').locator('.lane-outcome'), /passed at \+\d+ ms/, 10_000);
    await expectText(row('second-pause').locator('.lane-outcome'), /in place/, 10_000);
    expect([await paused(0), await paused(1)]).toEqual([false, true]);
    // the chart marks where each step began and ended
    await expectText(page.locator('figcaption'), /each step marked where it really began/);

    // keyboard: Tab reaches the lanes (a scrollable region)
    await page.locator('a.brand').focus();
    let reached = false;
    for (let i = 0; i < 40 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = (await page.evaluate('document.activeElement?.getAttribute("aria-label")')) === 'steps of experiment 1';
    }
    expect(reached).toBe(true);
    const live = await a11yProblems('run room, live');

    await expectText(page.locator('.phases li[aria-current="step"]'), /completed/, 25_000);
    // once ended, the result's figures: every step out with its skew, the gate passed
    await expectText(row('second-pause').locator('.lane-outcome'), /completed/);
    await expectText(row('second-pause').locator('.lane-end'), /\+\d+\.\d s, \d+ ms (late|early)/);
    expect([await paused(0), await paused(1)]).toEqual([false, false]);
    // the timeline names each event's step
    const gatePassed = page.locator('.timeline tbody tr', { hasText: 'gate.passed' });
    await expectText(gatePassed.locator('td').nth(3), /^answers-again$/);
    const applied = page.locator('.timeline tbody tr', { hasText: 'fault.applied' });
    expect(await applied.evaluateAll((rows) => rows.map((r) => r.children[3].textContent))).toEqual([
      'first-pause',
      'second-pause',
    ]);
    // the shot for the README without the focus ring the keyboard check left on the lanes
    await page.evaluate('document.activeElement?.blur()');
    await screenshot(page, 'step-lanes-ended', 'docs/screenshots/step-lanes.png');
    expect([...live, ...(await a11yProblems('run room, ended'))]).toEqual([]);
  }

  it('shows the same lanes on the report page', async () => {
    await page.getByRole('link', { name: 'Open the report' }).click();
    await page.waitForURL(/\/report$/);
    await waitFor('the lanes on the report page', async () => (await outcomes()).length === 3 || null, 10_000);
    expect(await outcomes()).toEqual([
      ['first-pause', 'completed'],
      ['answers-again', 'passed'],
      ['second-pause', 'completed'],
    ]);
    await expectText(row('answers-again').locator('.lane-outcome'), /passed at \+\d+ ms/);
    await expectText(page.frameLocator('iframe[title="Run report"]').locator('body'), /second-pause/, 10_000);
    await screenshot(page, 'step-lanes-report');
    expect(await a11yProblems('report')).toEqual([]);
  });

  it('shows an emergency stop from the keyboard on the lanes: the step in place aborted, the rest not begun', async () => {
    const run = await stack.http.post(`/api/v1/gamedays/${gameDayId}/runs`).set(stack.admin).send({});
    expect(run.status).toBe(201);
    runId = run.body.id;
    await page.goto(`${stack.url}/runs/${runId}`);
    await expectText(row('first-pause').locator('.lane-outcome'), /in place/, 15_000);
    await page.getByLabel('Reason for stopping (optional)').fill('lanes under test');
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Emergency stop');
    await page.keyboard.press('Enter');
    await expectText(page.locator('.phases li[aria-current="step"]'), /aborted/, 15_000);
    await waitFor(
      'the lanes after the stop',
      async () => (await outcomes()).every(([, o]) => o === 'aborted' || o === 'not_begun') || null,
      10_000,
    ).catch(async () => {
      throw new Error(`lanes after the stop: ${JSON.stringify(await outcomes())}\n${await runStory()}`);
    });
    expect(await outcomes()).toEqual([
      ['first-pause', 'aborted'],
      ['answers-again', 'not_begun'],
      ['second-pause', 'not_begun'],
    ]);
    await expectText(row('first-pause').locator('.lane-end'), /\+\d\.\d s/);
    expect(await row('second-pause').locator('.lane-actual').count()).toBe(0);
    expect([await paused(0), await paused(1)]).toEqual([false, false]);
    await screenshot(page, 'step-lanes-aborted');
  });
});
