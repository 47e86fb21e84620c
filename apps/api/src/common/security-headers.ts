import type { NextFunction, Request, Response } from 'express';
import { sendProblem, titleFor } from './problem.filter';

/** Answers that are data (tokens, specs, runs, health): no browser or proxy may keep a copy. */
const NO_STORE = /^\/(api|healthz|readyz|metrics|docs\/json)(\/|$)/;
const DOCS = /^\/docs(\/|$)/;
/** Source maps hand out the sources of the bundles (the web UI's and Swagger UI's alike). */
const SOURCE_MAP = /\.map$/i;

/**
 * The API docs' content policy. Swagger UI loads its scripts, styles and the document from this
 * origin; its page has an inline <style> and sets style attributes, and its icons are data:
 * URIs. "Try it out" calls this origin. No inline or foreign script runs.
 */
export const DOCS_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Headers every answer carries, set before any route runs (so errors, body-parser failures and
 * static files get them too): nosniff everywhere, no-store on data, a CSP on /docs; and no
 * source map is served.
 */
export function securityHeaders(req: Request, res: Response, next: NextFunction): void {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  if (NO_STORE.test(req.path)) res.setHeader('Cache-Control', 'no-store');
  if (DOCS.test(req.path)) res.setHeader('Content-Security-Policy', DOCS_CSP);
  if (SOURCE_MAP.test(req.path) && !NO_STORE.test(req.path)) {
    sendProblem(res, {
      type: 'about:blank',
      title: titleFor(404),
      status: 404,
      detail: 'source maps are not served',
      instance: req.originalUrl,
    });
    return;
  }
  next();
}
