// Role tokens: checked on REST, the feed and display WebSockets and socket.io; a display token can
// never send samples; beyond loopback the server needs tokens for every role.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer, type TwinguideServer } from '../../server/app.ts';
import { Authoriser } from '../../server/auth.ts';
import { resolveConfig } from '../../server/config.ts';

const tokens = { feed: ['feed-token-0123456789'], display: ['display-token-0123456789'], operator: ['operator-token-0123456789'] };
let server: TwinguideServer;
let base = '';
const recordings = mkdtempSync(join(tmpdir(), 'twinguide-auth-'));
beforeAll(async () => {
  server = await buildServer(resolveConfig({ port: 0, recordingsDir: recordings, twinsDir: fileURLToPath(new URL('../../data/twins', import.meta.url)), logLevel: 'silent', tokens }), 'test');
  base = await server.app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await server.close();
  rmSync(recordings, { recursive: true, force: true });
});

const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
const upgrade = (url: string): Promise<number | 'open'> =>
  new Promise((resolve) => {
    const ws = new WebSocket(url);
    ws.once('open', () => { ws.close(); resolve('open'); });
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', () => undefined);
  });

describe('role tokens', () => {
  it('REST: none → 401, display reads, only operator changes; health stays open', async () => {
    expect((await server.app.inject('/api/twins')).statusCode).toBe(401);
    expect(JSON.parse((await server.app.inject('/api/twins')).body).code).toBe('TG_ERR_AUTH');
    expect((await server.app.inject({ url: '/api/twins', headers: bearer('nope-nope-nope-nope') })).statusCode).toBe(401);
    expect((await server.app.inject({ url: '/api/twins', headers: bearer(tokens.display[0]!) })).statusCode).toBe(200);
    expect((await server.app.inject({ url: '/api/twins?token=' + tokens.display[0]! })).statusCode).toBe(200);
    const denied = await server.app.inject({ method: 'POST', url: '/api/procedures', headers: bearer(tokens.display[0]!), payload: { twinId: 'demo', source: 'eam' } });
    expect(denied.statusCode).toBe(403);
    expect(JSON.parse(denied.body).code).toBe('TG_ERR_FORBIDDEN');
    expect((await server.app.inject({ method: 'POST', url: '/api/procedures', headers: bearer(tokens.operator[0]!), payload: { twinId: 'demo', source: 'eam' } })).statusCode).toBe(201);
    expect((await server.app.inject('/health')).statusCode).toBe(200);
    expect((await server.app.inject('/metrics')).statusCode).toBe(401);
  });

  it('WebSockets: a display token can never feed samples; feed and display tokens open their own endpoints', async () => {
    const { id } = JSON.parse((await server.app.inject({ method: 'POST', url: '/api/procedures', headers: bearer(tokens.operator[0]!), payload: { twinId: 'demo', source: 'eam' } })).body) as { id: string };
    const ws = base.replace('http', 'ws');
    expect(await upgrade(`${ws}/ws/feed?procedure=${id}`)).toBe(401);
    expect(await upgrade(`${ws}/ws/feed?procedure=${id}&token=${tokens.display[0]}`)).toBe(403);
    expect(await upgrade(`${ws}/ws/feed?procedure=${id}&token=${tokens.feed[0]}`)).toBe('open');
    expect(await upgrade(`${ws}/ws/display?procedure=${id}&token=${tokens.feed[0]}`)).toBe(403);
    expect(await upgrade(`${ws}/ws/display?procedure=${id}&token=${tokens.display[0]}`)).toBe('open');
  });

  it('socket.io /display refuses a connection without a display token', async () => {
    const { io } = await import('socket.io-client');
    const parser = (await import('socket.io-msgpack-parser')).default;
    const client = io(`${base}/display`, { query: { procedure: 'x' }, parser, transports: ['websocket'], reconnection: false });
    const error = await new Promise<Error>((resolve) => client.once('connect_error', resolve));
    client.close();
    expect(error.message).toContain('token');
  });

  it('compares tokens by role, and refuses to listen beyond loopback without tokens for every role', () => {
    const a = new Authoriser(tokens);
    expect(a.roleOf(tokens.feed[0])).toBe('feed');
    expect(a.roleOf('feed-token-012345678X')).toBeNull();
    expect(() => resolveConfig({ host: '0.0.0.0' }, {})).toThrow(/missing: feed, display, operator/);
    expect(() => resolveConfig({ host: '0.0.0.0', tokens: { feed: tokens.feed, display: tokens.display } }, {})).toThrow(/missing: operator/);
    const open = resolveConfig({ host: '0.0.0.0', tokens }, {});
    expect(open.igtlPort).toBeNull(); // OpenIGTLink has no authentication: off beyond loopback unless allowed
  });
});
