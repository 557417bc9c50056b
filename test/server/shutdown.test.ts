// SIGTERM (or Ctrl-C) stops the server while a device is still feeding and displays are still
// watching: procedures end, recordings are finalised, every socket closes, the process exits 0.
// It once hung for ever: socket.io's close() waited for the HTTP server, which waited for the feed
// WebSocket that only a later step would close. A real child process, real sockets and files.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { encodeMessage } from '../../protocol/index.ts';
import { findUnfinished } from '../../server/recording/unfinished-recordings.ts';
import { startServerChild, type ServerChild } from '../../tools/server-child.ts';

const recordings = mkdtempSync(join(tmpdir(), 'tg-shutdown-'));
let server: ServerChild | null = null;
afterAll(async () => {
  await server?.kill();
  rmSync(recordings, { recursive: true, force: true });
});

const post = async (base: string, path: string, body: unknown): Promise<any> =>
  (await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json();
const opened = (ws: WebSocket): Promise<void> => new Promise((r, j) => { ws.once('open', () => r()); ws.once('error', j); });

describe('shutdown', () => {
  it('on SIGTERM with a feed, a display WebSocket and a socket.io long-poll connected: exits 0, closes them, finalises the recording', async () => {
    server = await startServerChild(recordings);
    const { base } = server;
    const { id } = await post(base, '/api/procedures', { twinId: 'demo', source: 'eam' });
    await post(base, `/api/procedures/${id}/registration`, { method: 'identity' });
    const feed = new WebSocket(`${base.replace('http', 'ws')}/ws/feed?procedure=${id}`);
    const display = new WebSocket(`${base.replace('http', 'ws')}/ws/display?procedure=${id}`);
    await Promise.all([opened(feed), opened(display)]);
    const { io } = await import('socket.io-client');
    const parser = (await import('socket.io-msgpack-parser')).default;
    const polling = io(`${base}/display`, { query: { procedure: id }, parser, transports: ['polling'], reconnection: false });
    await new Promise((r) => polling.once('snapshot', r));
    for (let seq = 0; seq < 50; seq++) feed.send(encodeMessage({ type: 'tip', seq, t: seq / 100, p: [0, 0, 0] }));
    const closed = (ws: WebSocket): Promise<number> => new Promise((r) => ws.once('close', (code: number) => r(code)));
    const feedClosed = closed(feed);
    const displayClosed = closed(display);
    const pollingGone = new Promise<string>((r) => polling.once('disconnect', (reason: string) => r(reason)));

    const exited = new Promise<number | null>((r) => server!.child.once('exit', (code) => r(code)));
    server.child.kill('SIGTERM');
    // No wall-clock assertion: a hang fails by the test's timeout.
    expect(await exited).toBe(0);
    await Promise.all([feedClosed, displayClosed, pollingGone]);
    polling.close();
    expect(findUnfinished(recordings, 3600).resumable).toEqual([]);
  }, 60_000);
});
