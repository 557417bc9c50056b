// The display page at / and the browser build of msgpackr it decodes frames with.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';

export function displayPage(app: FastifyInstance): void {
  const page = readFileSync(fileURLToPath(new URL('../../client/display.html', import.meta.url)), 'utf8');
  const require = createRequire(import.meta.url);
  // The package's exports map hides dist/; its node entry lives in that same folder.
  const msgpackr = readFileSync(join(dirname(require.resolve('msgpackr')), 'index-no-eval.min.js'), 'utf8');
  app.get('/', async (_request, reply) => reply.type('text/html; charset=utf-8').send(page));
  app.get('/favicon.ico', async (_request, reply) => reply.code(204).send());
  app.get('/vendor/msgpackr.js', async (_request, reply) => reply.type('text/javascript; charset=utf-8').header('cache-control', 'max-age=3600').send(msgpackr));
}
