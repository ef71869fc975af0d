/**
 * `startEmbeddedBroker`: an in-process MQTT broker (Aedes) with TCP and WebSocket listeners on
 * 127.0.0.1, for development, the demo and tests. Nothing to install or configure.
 */
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { Aedes, type AedesOptions } from 'aedes';
import { WebSocketServer } from 'ws';
import { CoalescingWebSocketStream } from './websocket-stream.js';
import { listen } from './listen.js';
import { applyBrokerAuth, DEFAULT_BROWSER_MAX_PACKET_SIZE, type BrokerAuthOptions } from './auth.js';

/** Options of {@link startEmbeddedBroker}. Defaults in {@link EMBEDDED_BROKER_DEFAULTS}. */
export interface EmbeddedBrokerOptions {
  /** TCP port; 0 picks a free one. Default 1883. */
  port?: number;
  /** WebSocket port; 0 picks a free one. Default 9001. */
  wsPort?: number;
  /** Interface to bind. Default 127.0.0.1: a dev broker must not be reachable from the network. */
  host?: string;
  /** WebSocket path. Default `/mqtt` (MQTT.js' default). */
  wsPath?: string;
  /** Extra Aedes options (hooks, persistence). */
  aedes?: AedesOptions;
  /** Token and service-account authentication plus the DESIGN.md ACL (see `applyBrokerAuth`). Without it anyone may connect. */
  auth?: BrokerAuthOptions;
  /**
   * permessage-deflate on the WebSocket listener. Default off. The topic and envelope keys repeat
   * in every token message, so compression cuts bytes per token on the browser's wire ~6x
   * (bench at 50 tok/s: 134 -> ~22 B, SSE 66), for more broker CPU (fan-out ~0.5x) and a longer
   * latency tail (zlib runs on the libuv thread pool). Worth it on metered or slow links.
   */
  compression?: boolean;
}

/** A running embedded broker: its URLs, ports and `close()`. */
export interface EmbeddedBroker {
  readonly mqttUrl: string;
  readonly wsUrl: string;
  readonly port: number;
  readonly wsPort: number;
  readonly aedes: Aedes;
  /** Live client connections. */
  connectedClients(): number;
  /** Stops both listeners, disconnects every client, and closes Aedes. */
  close(): Promise<void>;
}

/** MQTT on 1883 and WebSocket on 9001 at `/mqtt`, on 127.0.0.1 only. */
export const EMBEDDED_BROKER_DEFAULTS = { port: 1883, wsPort: 9001, host: '127.0.0.1', wsPath: '/mqtt' };

/**
 * Every message is compressed (threshold 0: token messages are ~100 B); a 2 KiB window already
 * spans dozens of messages' repeated topic and keys, and keeps zlib state per connection small.
 */
const COMPRESSION = { threshold: 0, serverMaxWindowBits: 11, clientMaxWindowBits: 11, zlibDeflateOptions: { memLevel: 4 }, concurrencyLimit: 64 };

/**
 * Starts an MQTT 3.1.1 broker (Aedes) in this process, with a TCP listener for workers and a
 * WebSocket listener for browsers, on 127.0.0.1 by default. With `auth` it accepts only signed
 * per-user tokens and service accounts, and enforces the kit's ACL.
 *
 * @example
 * ```ts
 * import { startEmbeddedBroker } from '@cloudsignal/ai-chat-kit/broker';
 * import { createServiceAccount } from '@cloudsignal/ai-chat-kit/server';
 *
 * const worker = createServiceAccount('worker-1');
 * const broker = await startEmbeddedBroker({ port: 1883, wsPort: 9001, auth: { jwtSecret, serviceAccounts: [worker] } });
 * console.log(broker.mqttUrl, broker.wsUrl); // mqtt://127.0.0.1:1883 ws://127.0.0.1:9001/mqtt
 * // on shutdown: await broker.close();
 * ```
 */
export async function startEmbeddedBroker(options: EmbeddedBrokerOptions = {}): Promise<EmbeddedBroker> {
  const settings = { ...EMBEDDED_BROKER_DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) } as typeof EMBEDDED_BROKER_DEFAULTS & EmbeddedBrokerOptions;
  const aedes = await Aedes.createBroker({ ...settings.aedes });
  const brokerAuth = settings.auth ? applyBrokerAuth(aedes, settings.auth) : undefined;
  const sockets = new Set<Socket>();
  /** Set by close(): a connection that still slips in is refused, never served by a closing Aedes. */
  let stopping = false;

  // noDelay: without it the first packets of every connection wait on Nagle (~40 ms).
  const tcp: NetServer = createNetServer({ noDelay: true }, (socket) => {
    if (stopping) return void socket.destroy();
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    aedes.handle(socket);
  });
  const http: HttpServer = createHttpServer((_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain' }).end('MQTT over WebSocket only');
  });
  http.on('connection', (socket) => {
    if (stopping) return void socket.destroy();
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  // With auth, WebSocket frames (one MQTT packet each from MQTT.js) are capped before parsing,
  // so an oversized browser packet is never buffered whole.
  const maxPayload = settings.auth ? { maxPayload: settings.auth.browserMaxPacketSize ?? DEFAULT_BROWSER_MAX_PACKET_SIZE } : {};
  const wss = new WebSocketServer({ server: http, path: settings.wsPath, perMessageDeflate: settings.compression ? COMPRESSION : false, ...maxPayload, handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : false) });
  wss.on('connection', (socket, request) => {
    aedes.handle(new CoalescingWebSocketStream(socket), request);
  });
  // `ws` re-emits the HTTP server's errors (EADDRINUSE on listen) on the WebSocketServer; without a
  // listener that is an uncaught exception instead of the readable rejection `listen` gives below.
  wss.on('error', () => undefined);

  try {
    await listen(tcp, settings.port, settings.host, 'MQTT');
    await listen(http, settings.wsPort, settings.host, 'WebSocket');
  } catch (error) {
    tcp.close();
    http.close();
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    throw error;
  }
  const port = (tcp.address() as { port: number }).port;
  const wsPort = (http.address() as { port: number }).port;
  let closing: Promise<void> | null = null;

  return {
    mqttUrl: `mqtt://${settings.host}:${port}`,
    wsUrl: `ws://${settings.host}:${wsPort}${settings.wsPath}`,
    port,
    wsPort,
    aedes,
    connectedClients: () => aedes.connectedClients,
    close() {
      closing ??= (async () => {
        brokerAuth?.dispose();
        // Stop accepting before anything else. The HTTP server used to stay open until the
        // WebSocket server had closed, and a client reconnecting in that window (backoff from the
        // drop we cause here) got a CONNACK from the closing Aedes and stayed attached to it: a
        // zombie session that never received anything again (found by the chaos suite).
        stopping = true;
        const listenersClosed = [
          new Promise<void>((resolve) => tcp.close(() => resolve())),
          new Promise<void>((resolve) => http.close(() => resolve())),
        ];
        for (const client of wss.clients) client.terminate();
        for (const socket of sockets) socket.destroy();
        await Promise.all([
          ...listenersClosed,
          new Promise<void>((resolve) => wss.close(() => resolve())),
          new Promise<void>((resolve) => aedes.close(() => resolve())),
        ]);
      })();
      return closing;
    },
  };
}

