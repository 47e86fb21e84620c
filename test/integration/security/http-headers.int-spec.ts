import type { INestApplication } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { createApiApp } from '../../../apps/api/src/bootstrap';
import { ADMIN_TOKEN, deleteQueueKeys, testConfig, testPrisma } from '../../support/harness';

/**
 * Every answer says nosniff; data (JSON, problems, the token just created) is no-store; the API
 * docs carry a content policy; no source map is served, the web UI's or Swagger UI's.
 */
describe('security: HTTP headers and source maps', () => {
  const config = testConfig('sec-headers');
  const prisma = testPrisma();
  const marker = `sec-headers-${randomUUID().slice(0, 8)}`;
  // a web UI build as vite leaves it, source map included
  const web = mkdtempSync(path.join(tmpdir(), 'gameday-web-'));
  let app: INestApplication;
  let http: ReturnType<typeof request>;
  const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };

  beforeAll(async () => {
    mkdirSync(path.join(web, 'assets'));
    writeFileSync(path.join(web, 'index.html'), '<!DOCTYPE html><title>GameDay</title>');
    writeFileSync(path.join(web, 'assets/index-abc.js'), 'console.log(1);\n//# sourceMappingURL=index-abc.js.map');
    writeFileSync(path.join(web, 'assets/index-abc.js.map'), '{"version":3,"sources":["../src/main.tsx"]}');
    app = await createApiApp(config, { logger: false, webUiDir: web });
    await app.init();
    http = request(app.getHttpServer());
  });

  afterAll(async () => {
    await app?.close();
    rmSync(web, { recursive: true, force: true });
    await prisma.apiToken.deleteMany({ where: { name: { startsWith: marker } } });
    await prisma.$disconnect();
    await deleteQueueKeys(config);
  });

  const dataHeaders = (res: request.Response) => ({
    status: res.status,
    cacheControl: res.headers['cache-control'],
    nosniff: res.headers['x-content-type-options'],
  });

  it('the token-creation answer (the secret, once) is no-store and nosniff', async () => {
    const res = await http
      .post('/api/v1/tokens')
      .set(admin)
      .send({ name: `${marker}-t`, role: 'viewer' });
    expect(res.body.token).toEqual(expect.any(String));
    expect(dataHeaders(res)).toEqual({ status: 201, cacheControl: 'no-store', nosniff: 'nosniff' });
  });

  it('JSON answers, problems and body-parser errors are no-store and nosniff', async () => {
    expect(dataHeaders(await http.get('/api/v1/gamedays').set(admin))).toEqual({
      status: 200,
      cacheControl: 'no-store',
      nosniff: 'nosniff',
    });
    expect(dataHeaders(await http.get('/api/v1/gamedays'))).toMatchObject({ status: 401, cacheControl: 'no-store' });
    const badJson = await http.post('/api/v1/gamedays').set(admin).set('Content-Type', 'application/json').send('{');
    expect(dataHeaders(badJson)).toEqual({ status: 400, cacheControl: 'no-store', nosniff: 'nosniff' });
    expect(dataHeaders(await http.get('/healthz'))).toEqual({
      status: 200,
      cacheControl: 'no-store',
      nosniff: 'nosniff',
    });
  });

  it('/docs has a content policy that allows no inline or foreign script', async () => {
    const docs = await http.get('/docs');
    expect(docs.status).toBe(200);
    const csp = docs.headers['content-security-policy'] as string;
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(docs.headers['x-content-type-options']).toBe('nosniff');
    const init = await http.get('/docs/swagger-ui-init.js');
    expect(init.status).toBe(200);
    expect(init.headers['content-security-policy']).toBe(csp);
  });

  it('serves the web UI bundle, never a source map (the web UI nor Swagger UI)', async () => {
    const js = await http.get('/assets/index-abc.js');
    expect(js.status).toBe(200);
    expect(js.headers['x-content-type-options']).toBe('nosniff');
    for (const map of ['/assets/index-abc.js.map', '/assets/missing.js.map', '/docs/swagger-ui-bundle.js.map']) {
      const res = await http.get(map);
      expect({ map, status: res.status }).toEqual({ map, status: 404 });
      expect(res.text).not.toContain('sources');
    }
  });
});
