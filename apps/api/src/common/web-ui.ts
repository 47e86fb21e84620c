import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Paths that belong to the API and its operations endpoints, never to the web UI. */
const NOT_WEB = /^\/(api|docs|healthz|readyz|metrics)(\/|$)/;

/**
 * The compiled API runs from dist/apps/api/src and the web build sits in dist/web; tests run
 * the sources from apps/api/src against the same dist/web.
 */
export function webUiDir(): string | null {
  const candidates = [resolve(__dirname, '../../../../web'), resolve(__dirname, '../../../../dist/web')];
  return candidates.find((dir) => existsSync(join(dir, 'index.html'))) ?? null;
}

/** The web UI's content policy: everything from this origin, nothing from elsewhere. */
export const WEB_CSP = [
  "default-src 'self'",
  // uPlot and React set style attributes; the report is shown in a sandboxed srcdoc frame
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "frame-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Serves the web UI (apps/web, built by `npm run build`) at `/`, same origin as the API: its
 * files, and index.html for any other GET that is not an API path (the UI routes in the browser).
 */
export function serveWebUi(app: NestExpressApplication, dir = webUiDir()): void {
  const setHeaders = (res: Response) => {
    res.setHeader('Content-Security-Policy', WEB_CSP);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
  };
  if (!dir) {
    app.use('/', (req: Request, res: Response, next: NextFunction) => {
      if (req.method !== 'GET' || req.path !== '/') return next();
      res.type('text/plain').send('GameDay API. The web UI is not built: run `npm run build`. API docs: /docs\n');
    });
    return;
  }
  app.useStaticAssets(dir, { index: false, setHeaders });
  app.use((req: Request, res: Response, next: NextFunction) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || NOT_WEB.test(req.path)) return next();
    setHeaders(res);
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(join(dir, 'index.html'));
  });
}
