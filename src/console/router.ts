import { existsSync } from 'node:fs';
import path from 'node:path';
import express, { Router } from 'express';

/**
 * The web console: static files served as they are in the repository. The
 * browser code is plain ES modules typed with JSDoc (checked by
 * `tsc -p src/console`), so there is no build step whose output could go
 * stale, and the console works wherever the server does.
 */
export function consoleRoutes(): Router {
  const router = Router();
  // Everything the console loads comes from this server: no CDN, no inline code.
  const csp = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'";
  router.use('/console', (_req, res, next) => {
    res.setHeader('Content-Security-Policy', csp);
    next();
  });
  router.use('/console', express.static(publicDir(), { index: 'index.html', fallthrough: true }));
  return router;
}

/** Beside this file when run from source (tsx, ts-jest); from the source tree when run from `dist/`. */
function publicDir(): string {
  const beside = path.join(__dirname, 'public');
  return existsSync(beside) ? beside : path.resolve(__dirname, '../../../src/console/public');
}
