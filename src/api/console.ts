// Serves the web console (web/dist, built by Vite) at `/`: static assets, and index.html for every
// other GET outside the API, the portal and the docs so the console's own paths load on refresh.
import fs from 'node:fs';
import path from 'node:path';
import express, { type NextFunction, type Request, type Response, Router } from 'express';
import { webDist } from '../platform/web-bundle';

const NOT_CONSOLE = /^\/(api|portal|docs|openapi\.json|healthz|readyz|metrics|webhooks|codec)(\/|$)/;

export function consoleUi(distDir: string = webDist): Router {
  const router = Router();
  router.use(express.static(distDir, { index: false, maxAge: '1h', immutable: false }));
  router.get(/.*/, (req: Request, res: Response, next: NextFunction) => {
    if (NOT_CONSOLE.test(req.path) || path.extname(req.path)) return next();
    const index = path.join(distDir, 'index.html');
    if (!fs.existsSync(index)) {
      res
        .status(503)
        .type('text')
        .send('The web console is not built: run `npm run build:web` (npm start and npm test build it).');
      return;
    }
    res.setHeader('cache-control', 'no-cache');
    res.sendFile(index);
  });
  return router;
}
