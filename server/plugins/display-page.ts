// The browser client: the display at /, the replay page at /replay, their bundles under /assets/
// (client/dist, built by tools/build-client.ts) and gpu.js's browser build, loaded on demand.

import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';

const CLIENT = fileURLToPath(new URL('../../client/', import.meta.url));

export async function displayPage(app: FastifyInstance): Promise<void> {
  const display = readFileSync(join(CLIENT, 'index.html'), 'utf8');
  const replay = readFileSync(join(CLIENT, 'replay.html'), 'utf8');
  const require = createRequire(import.meta.url);
  const gpuJs = join(dirname(require.resolve('gpu.js/package.json')), 'dist/gpu-browser.min.js');
  app.get('/', async (_request, reply) => reply.type('text/html; charset=utf-8').send(display));
  app.get('/replay', async (_request, reply) => reply.type('text/html; charset=utf-8').send(replay));
  app.get('/favicon.ico', async (_request, reply) => reply.code(204).send());
  let gpuJsSource: Buffer | null = null; // read on first request (most displays never ask for it)
  app.get('/vendor/gpu-browser.min.js', async (_request, reply) => reply.type('text/javascript; charset=utf-8').header('cache-control', 'max-age=3600').send((gpuJsSource ??= readFileSync(gpuJs))));
  const dist = join(CLIENT, 'dist');
  if (!existsSync(dist)) {
    app.log.warn('client/dist is missing: `npm run build:client` builds it (`twinguide serve` does so itself)');
    mkdirSync(dist, { recursive: true });
  }
  await app.register(fastifyStatic, { root: dist, prefix: '/assets/', decorateReply: false, cacheControl: true, maxAge: 0 });
}
