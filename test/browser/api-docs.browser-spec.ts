import { ADMIN_TOKEN } from '../support/harness';
import { useStack } from '../support/stack.fixture';
import { launchChromium } from './support/browser';

// The API docs (Swagger UI) under their content policy, in Debian's Chromium: the page must still
// render, list the operations and run "Try it out", with no policy violation reported.
jest.setTimeout(60_000);

describe('the API docs in a real browser, under their content policy', () => {
  const stack = useStack({ name: 'browser-docs', api: { listen: true } });

  it('renders, lists the operations and calls the API from "Try it out"', async () => {
    const { browser, close } = await launchChromium();
    try {
      const page = await browser.newPage();
      const violations: string[] = [];
      page.on('console', (m) => {
        if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
      });
      const res = await page.goto(`${stack.url}/docs`);
      expect(res?.headers()['content-security-policy']).toContain("script-src 'self'");
      await page.locator('.swagger-ui .info .title', { hasText: 'GameDay API' }).waitFor();
      await page.locator('.opblock-summary-path[data-path="/api/v1/me"]').first().waitFor();

      // authorize with a token, then call GET /api/v1/me from the page (connect-src 'self')
      await page
        .getByRole('button', { name: /authorize/i })
        .first()
        .click();
      await page.locator('.modal-ux input[type="text"]').first().fill(ADMIN_TOKEN);
      await page.locator('.modal-ux button.authorize').first().click();
      await page.locator('.modal-ux button.close-modal').first().click();
      await page.locator('.opblock-summary-path[data-path="/api/v1/me"]').first().click();
      await page
        .getByRole('button', { name: /try it out/i })
        .first()
        .click();
      await page.locator('button.execute').first().click();
      await page.locator('.live-responses-table .response-col_status', { hasText: '200' }).first().waitFor();
      expect(await page.locator('.live-responses-table .microlight').first().textContent()).toContain(
        'bootstrap-admin',
      );
      expect(violations).toEqual([]);
    } finally {
      await close();
    }
  });
});
