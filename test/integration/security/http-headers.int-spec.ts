import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { useStack } from '../../support/stack.fixture';

/**
 * Every answer says nosniff; data (JSON, problems, the token just created) is no-store; the API
 * docs carry a content policy; no source map is served, the web UI's or Swagger UI's.
 */
describe('security: HTTP headers and source maps', () => {
  const marker = `sec-headers-${randomUUID().slice(0, 8)}`;
  // a web UI build as vite leaves it, source map included
  const web = mkdtempSync(path.join(tmpdir(), 'gameday-web-'));
  const stack = useStack({ name: 'sec-headers', api: false, marker });

  beforeAll(async () => {
    mkdirSync(path.join(web, 'assets'));
    writeFileSync(path.join(web, 'index.html'), '<!DOCTYPE html><title>GameDay</title>');
    writeFileSync(path.join(web, 'assets/index-abc.js'), 'console.log(1);\n//# sourceMappingURL=index-abc.js.map');
    writeFileSync(path.join(web, 'assets/index-abc.js.map'), '{"version":3,"sources":["../src/main.tsx"]}');
    await stack.startApi(stack.config, { webUiDir: web });
  });

  afterAll(() => rmSync(web, { recursive: true, force: true }));

  const dataHeaders = (res: request.Response) => ({
    status: res.status,
    cacheControl: res.headers['cache-control'],
    nosniff: res.headers['x-content-type-options'],
  });

  it('the token-creation answer (the secret, once) is no-store and nosniff', async () => {
    const res = await stack.http
      .post('/api/v1/tokens')
      .set(stack.admin)
      .send({ name: `${marker}-t`, role: 'viewer' });
    expect(res.body.token).toEqual(expect.any(String));
    expect(dataHeaders(res)).toEqual({ status: 201, cacheControl: 'no-store', nosniff: 'nosniff' });
  });

  it('JSON answers, problems and body-parser errors are no-store and nosniff', async () => {
    expect(dataHeaders(await stack.http.get('/api/v1/gamedays').set(stack.admin))).toEqual({
      status: 200,
      cacheControl: 'no-store',
      nosniff: 'nosniff',
    });
    expect(dataHeaders(await stack.http.get('/api/v1/gamedays'))).toMatchObject({
      status: 401,
      cacheControl: 'no-store',
    });
    const badJson = await stack.http
      .post('/api/v1/gamedays')
      .set(stack.admin)
      .set('Content-Type', 'application/json')
      .send('{');
    expect(dataHeaders(badJson)).toEqual({ status: 400, cacheControl: 'no-store', nosniff: 'nosniff' });
    expect(dataHeaders(await stack.http.get('/healthz'))).toEqual({
      status: 200,
      cacheControl: 'no-store',
      nosniff: 'nosniff',
    });
  });

  it('/docs has a content policy that allows no inline or foreign script', async () => {
    const docs = await stack.http.get('/docs');
    expect(docs.status).toBe(200);
    const csp = docs.headers['content-security-policy'] as string;
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(docs.headers['x-content-type-options']).toBe('nosniff');
    const init = await stack.http.get('/docs/swagger-ui-init.js');
    expect(init.status).toBe(200);
    expect(init.headers['content-security-policy']).toBe(csp);
  });

  it('serves the web UI bundle, never a source map (the web UI nor Swagger UI)', async () => {
    const js = await stack.http.get('/assets/index-abc.js');
    expect(js.status).toBe(200);
    expect(js.headers['x-content-type-options']).toBe('nosniff');
    for (const map of ['/assets/index-abc.js.map', '/assets/missing.js.map', '/docs/swagger-ui-bundle.js.map']) {
      const res = await stack.http.get(map);
      expect({ map, status: res.status }).toEqual({ map, status: 404 });
      expect(res.text).not.toContain('sources');
    }
  });
});
