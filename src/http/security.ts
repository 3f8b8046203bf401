import type { RequestHandler } from 'express';

/**
 * Headers on every response: no MIME sniffing (a JSON answer is never run as
 * a script), no Referer leaking saga ids to other sites. CORS is closed: a
 * browser page from another origin may call the API only if its origin is
 * configured (CORS_ORIGINS); otherwise no Access-Control-* header is sent and
 * the browser refuses the answer.
 */
export function securityHeaders(corsOrigins: readonly string[]): RequestHandler {
  const allowed = new Set(corsOrigins);
  return (req, res, next) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    const origin = req.header('origin');
    if (origin && allowed.has(origin)) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Vary', 'Origin');
      if (req.method === 'OPTIONS') {
        res.setHeader('Access-Control-Allow-Methods', 'GET, POST');
        res.setHeader('Access-Control-Allow-Headers', 'authorization, content-type, idempotency-key, prefer, x-after-position');
        res.setHeader('Access-Control-Max-Age', '600');
        return void res.status(204).end();
      }
    }
    next();
  };
}
