// The display's link to the server: the raw WebSocket first, socket.io (long-polling capable, for
// proxies that break WebSockets) when the WebSocket cannot open; reconnects with capped, jittered
// exponential backoff. Every (re)connection starts with the server's snapshot, so the display
// re-renders from it and never mixes state from before the gap.

import { unpack } from 'msgpackr';
import { io, type Socket } from 'socket.io-client';
import msgpackParser from 'socket.io-msgpack-parser';
import type { DisplayMessage } from '../../../protocol/messages.ts';

export type Transport = 'websocket' | 'socket.io';
export type LinkState = 'connecting' | 'open' | 'closed';

export interface ConnectionOptions {
  procedure: string;
  token: string | null;
  /** Force one transport (?transport=socket.io); otherwise WebSocket, falling back after failures. */
  transport: Transport | null;
  onMessage(message: DisplayMessage): void;
  onLink(state: LinkState, transport: Transport): void;
}

const MESSAGE_TYPES = ['snapshot', 'guidance', 'status', 'event', 'error'] as const;
/** WebSocket attempts that never opened before trying socket.io. */
const FALLBACK_AFTER = 2;

export class DisplayConnection {
  private transport: Transport;
  private delayMs = 250;
  private failedOpens = 0;
  private ws: WebSocket | null = null;
  private socket: Socket | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;

  constructor(private readonly o: ConnectionOptions) {
    this.transport = o.transport ?? 'websocket';
    this.connect();
  }

  get current(): Transport {
    return this.transport;
  }

  private connect(): void {
    if (this.closed) return;
    this.o.onLink('connecting', this.transport);
    if (this.transport === 'websocket') this.connectWebSocket();
    else this.connectSocketIo();
  }

  private connectWebSocket(): void {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const query = new URLSearchParams({ procedure: this.o.procedure });
    if (this.o.token) query.set('token', this.o.token);
    const ws = new WebSocket(`${scheme}://${location.host}/ws/display?${query}`);
    ws.binaryType = 'arraybuffer';
    let opened = false;
    ws.onopen = () => {
      opened = true;
      this.opened();
    };
    ws.onmessage = (e: MessageEvent<ArrayBuffer>) => this.o.onMessage(unpack(new Uint8Array(e.data)) as DisplayMessage);
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (!opened && this.o.transport === null && ++this.failedOpens >= FALLBACK_AFTER) this.transport = 'socket.io';
      this.lost();
    };
    this.ws = ws;
  }

  private connectSocketIo(): void {
    const socket = io('/display', {
      parser: msgpackParser,
      query: { procedure: this.o.procedure },
      auth: this.o.token ? { token: this.o.token } : {},
      reconnection: false, // one backoff policy for both transports: ours
      transports: ['websocket', 'polling'],
      tryAllTransports: true,
    });
    socket.on('connect', () => this.opened());
    for (const type of MESSAGE_TYPES) socket.on(type, (m: DisplayMessage) => this.o.onMessage(m));
    const drop = (): void => {
      if (this.socket !== socket) return;
      this.socket = null;
      socket.removeAllListeners();
      socket.close();
      this.lost();
    };
    socket.on('disconnect', drop);
    socket.on('connect_error', drop);
    this.socket = socket;
  }

  private opened(): void {
    this.delayMs = 250;
    this.failedOpens = 0;
    this.o.onLink('open', this.transport);
  }

  private lost(): void {
    this.o.onLink('closed', this.transport);
    if (this.closed) return;
    const wait = this.delayMs * (0.8 + 0.4 * Math.random());
    this.delayMs = Math.min(5000, this.delayMs * 2);
    this.timer = setTimeout(() => this.connect(), wait);
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.ws?.close();
    this.socket?.close();
  }
}
