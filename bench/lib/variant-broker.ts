/**
 * An Aedes broker wired like `startEmbeddedBroker` but with the WebSocket framing and compression
 * chosen by the benchmark, so the shipped choices can be measured against the alternatives in one
 * run: `stock` is ws' `createWebSocketStream` (one frame per Aedes write, ~5 per PUBLISH),
 * `coalescing` is the kit's one-frame-per-packet stream; `deflate` adds permessage-deflate.
 */
import { createServer as createHttpServer } from 'node:http';
import { createServer as createNetServer, type Socket } from 'node:net';
import { Aedes } from 'aedes';
import { createWebSocketStream, WebSocketServer, type PerMessageDeflateOptions } from 'ws';
import { CoalescingWebSocketStream } from '../../src/broker/websocket-stream.js';

export interface VariantBrokerOptions {
  framing: 'stock' | 'coalescing';
  deflate: boolean;
  /** TCP_NODELAY on the broker's accepted sockets (the kit sets it). */
  noDelay?: boolean;
}

export interface VariantBroker {
  mqttUrl: string;
  wsUrl: string;
  wsPort: number;
  close(): Promise<void>;
}

/** Small per-connection zlib state: 1 000 subscribers must not cost 300 KB each. */
export const DEFLATE: PerMessageDeflateOptions = {
  threshold: 0,
  serverMaxWindowBits: 11,
  clientMaxWindowBits: 11,
  zlibDeflateOptions: { memLevel: 4, level: 6 },
  concurrencyLimit: 64,
};

export async function startVariantBroker(options: VariantBrokerOptions): Promise<VariantBroker> {
  const noDelay = options.noDelay ?? true;
  const aedes = await Aedes.createBroker({});
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    socket.setNoDelay(noDelay);
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  };
  const tcp = createNetServer((socket) => {
    track(socket);
    aedes.handle(socket);
  });
  const http = createHttpServer((_req, res) => res.writeHead(426).end());
  http.on('connection', track);
  const wss = new WebSocketServer({
    server: http,
    path: '/mqtt',
    perMessageDeflate: options.deflate ? DEFLATE : false,
    handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : false),
  });
  wss.on('connection', (socket, request) => {
    const stream = options.framing === 'coalescing' ? new CoalescingWebSocketStream(socket) : createWebSocketStream(socket);
    aedes.handle(stream as never, request);
  });
  await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const port = (tcp.address() as { port: number }).port;
  const wsPort = (http.address() as { port: number }).port;
  return {
    mqttUrl: `mqtt://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${wsPort}/mqtt`,
    wsPort,
    async close() {
      for (const client of wss.clients) client.terminate();
      for (const socket of sockets) socket.destroy();
      await Promise.all([
        new Promise<void>((resolve) => tcp.close(() => resolve())),
        new Promise<void>((resolve) => wss.close(() => http.close(() => resolve()))),
        new Promise<void>((resolve) => aedes.close(() => resolve())),
      ]);
    },
  };
}
