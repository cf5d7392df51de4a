import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.js';
import { publicAccess } from '../auth/route-access.js';

/**
 * Where `npm run build` puts the dashboard (scripts/build-dashboard.mjs): dist/dashboard, beside
 * dist/src, whose api/routes this file is compiled into.
 */
export const dashboardDirectory = fileURLToPath(new URL('../../../dashboard/', import.meta.url));

/**
 * Serves the built dashboard at `/`: static files only, nothing fetched from the network; the
 * page talks to the API under /v1 like any other client. Without a build, `/` says how to make one.
 */
export async function dashboardRoutes(app: FastifyInstance, _context: ApiContext): Promise<void> {
  // The page and its bundle hold no data; the page asks for a token when the API answers 401.
  app.addHook('onRoute', (route) => {
    route.config = { ...route.config, access: publicAccess };
  });
  if (!existsSync(`${dashboardDirectory}index.html`)) {
    app.get('/', { schema: { hide: true } }, async (_request, reply) =>
      reply.status(503).type('text/plain').send('the dashboard is not built: run `npm run build`\n'),
    );
    return;
  }
  await app.register(fastifyStatic, {
    root: dashboardDirectory,
    // Only the build's own files; every other path falls through to the API's 404.
    wildcard: false,
    // The bundle's names do not change between builds, so the browser revalidates them.
    cacheControl: true,
    maxAge: 0,
    schemaHide: true,
  });
}
