/**
 * `startEmbeddedBroker`: an in-process MQTT broker (Aedes) with TCP and WebSocket listeners on
 * 127.0.0.1, for development, the demo and tests. Nothing to install or configure.
 */
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { Aedes, type AedesOptions } from 'aedes';
import { WebSocketServer } from 'ws';
import { DEFAULT_TOPIC_PREFIX } from '../transport/topics.js';
import { CoalescingWebSocketStream } from './websocket-stream.js';
import { listen } from './listen.js';
import { applyBrokerAuth, DEFAULT_BROWSER_MAX_PACKET_SIZE, DEFAULT_SERVICE_MAX_PACKET_SIZE, type BrokerAuthOptions } from './auth.js';
import { joinBrokerCluster, type BrokerClusterOptions } from './cluster.js';
import { ConnectionGuard, type GuardViolation } from './connection-guard.js';
import { InboundBudget } from './inbound-budget.js';
import { resolveBrokerLimits, type BrokerLimits } from './limits.js';
import { installSubscriptionBudget } from './subscription-budget.js';
import { installRetainedBudget } from './retained-budget.js';

type Client = Parameters<NonNullable<AedesOptions['authenticate']>>[0];

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
  /**
   * Run as one node of a cluster whose nodes share state through Redis (see `joinBrokerCluster`):
   * clients of every node see each other's messages, retained state and wills.
   */
  cluster?: BrokerClusterOptions;
  /** Budgets per connection and per user (see {@link BrokerLimits}; defaults in `DEFAULT_BROKER_LIMITS`). */
  limits?: Partial<BrokerLimits>;
  /**
   * Where the broker's own notices go: dropped connections, refused protocol versions. Default
   * `console.warn`. Refusals of credentials and ACL go to `auth.onDenied`.
   */
  log?: (line: string) => void;
}

/** What {@link EmbeddedBroker.stats} reports: the budgets in force and what they refused. */
export interface EmbeddedBrokerStats {
  /** The budgets in force, packet sizes per principal included. */
  limits: BrokerLimits & { browserMaxPacketSize: number; serviceMaxPacketSize: number };
  /** Live client connections. */
  connections: number;
  /** Connections closed or requests refused for a budget or rule, since start. */
  refused: {
    /** CONNECTs (or bytes before authentication) over `maxBytesBeforeConnect`. */
    bytesBeforeConnect: number;
    /** Packets announcing more than the principal's packet size. */
    packetTooLarge: number;
    /** Clients dropped because their outbound buffer passed its budget (they stopped reading). */
    outboundOverflow: number;
    /** SUBSCRIBE filters over `maxSubscriptionsPerClient`. */
    subscriptions: number;
    /** CONNECTs with a protocol other than MQTT 3.1 / 3.1.1 (this broker speaks 3.1.1). */
    protocolVersion: number;
  };
  /** Times a user's connection was read more slowly because the user passed `maxInboundBytesPerSecond`. */
  inboundThrottled: number;
  /** Retained messages under users' topics, and how many were cleared for a user's budget. */
  retained: { messages: number; bytes: number; users: number; evicted: number };
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
  /** Budgets in force and what they refused (see {@link EmbeddedBrokerStats}). */
  stats(): EmbeddedBrokerStats;
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
  const limits = resolveBrokerLimits(settings.limits);
  const log = settings.log ?? ((line: string) => console.warn(line));
  const cluster = settings.cluster ? await joinBrokerCluster(settings.cluster) : undefined;
  const aedes = await Aedes.createBroker({ ...cluster?.aedes, ...settings.aedes });
  const brokerAuth = settings.auth ? applyBrokerAuth(aedes, settings.auth) : undefined;
  const packetSizes = {
    browserMaxPacketSize: settings.auth?.browserMaxPacketSize ?? DEFAULT_BROWSER_MAX_PACKET_SIZE,
    serviceMaxPacketSize: settings.auth?.serviceMaxPacketSize ?? DEFAULT_SERVICE_MAX_PACKET_SIZE,
  };
  const refused = { bytesBeforeConnect: 0, packetTooLarge: 0, outboundOverflow: 0, protocolVersion: 0 };
  const isService = (client: Client) => brokerAuth?.sessionOf(client)?.principal.kind === 'service';
  const inboundBudget = new InboundBudget(limits.maxInboundBytesPerSecond, limits.inboundBurstBytes);
  let inboundThrottled = 0;
  /** Charges a browser user's bytes to that user's budget (service accounts and anonymous dev clients are not limited). */
  const inboundDelay = (client: Client | undefined, bytes: number): number => {
    const principal = client && brokerAuth?.sessionOf(client)?.principal;
    if (!principal || principal.kind !== 'browser') return 0;
    const wait = inboundBudget.take(principal.userId, bytes);
    if (wait > 0) inboundThrottled++;
    return wait;
  };
  const subscriptionBudget = installSubscriptionBudget(aedes, limits.maxSubscriptionsPerClient, isService);
  const retainedBudget = installRetainedBudget(aedes, {
    topicPrefix: settings.auth?.topicPrefix ?? DEFAULT_TOPIC_PREFIX,
    maxPerUser: limits.maxRetainedPerUser,
    maxBytesPerUser: limits.maxRetainedBytesPerUser,
  });

  // Aedes speaks MQTT 3.1.1 only and refuses 5 with CONNACK "unacceptable protocol version";
  // the log line says why, since an MQTT 5 client may only report "connection refused".
  const preConnect = aedes.preConnect.bind(aedes);
  aedes.preConnect = (client, packet, callback) => {
    if (packet.protocolVersion !== 3 && packet.protocolVersion !== 4) {
      refused.protocolVersion++;
      log(`broker: refused MQTT protocol version ${packet.protocolVersion} from ${packet.clientId || 'a client'}: this broker speaks MQTT 3.1.1 (connect with protocolVersion: 4)`);
    }
    preConnect(client, packet, callback);
  };

  /** Wraps a socket in the guard that enforces the connection budgets before Aedes sees a byte. */
  const guard = (inner: Duplex, transport: 'tcp' | 'websocket', bufferedBytes: () => number): ConnectionGuard => {
    const conn: ConnectionGuard = new ConnectionGuard(inner, {
      transport,
      maxBytesBeforeConnect: limits.maxBytesBeforeConnect,
      packetLimit: () => {
        const client = conn.client as Client | undefined;
        if (!client) return undefined;
        if (brokerAuth) return brokerAuth.sessionOf(client)?.maxPacketSize;
        return (client as { connackSent?: boolean }).connackSent ? limits.maxPacketSize : undefined;
      },
      outboundLimit: () => (conn.client && isService(conn.client as Client) ? limits.serviceMaxOutboundBytes : limits.maxOutboundBytes),
      bufferedBytes,
      inboundDelay: (bytes) => inboundDelay(conn.client as Client | undefined, bytes),
      onViolation: (violation: GuardViolation, detail: string) => {
        refused[violation === 'bytes-before-connect' ? 'bytesBeforeConnect' : violation === 'packet-too-large' ? 'packetTooLarge' : 'outboundOverflow']++;
        const id = (conn.client as Client | undefined)?.id;
        log(`broker: closed ${transport} connection${id ? ` of ${id}` : ''}: ${violation} (${detail})`);
      },
    });
    return conn;
  };

  const sockets = new Set<Socket>();
  /** Set by close(): a connection that still slips in is refused, never served by a closing Aedes. */
  let stopping = false;

  // noDelay: without it the first packets of every connection wait on Nagle (~40 ms).
  const tcp: NetServer = createNetServer({ noDelay: true }, (socket) => {
    if (stopping) return void socket.destroy();
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    aedes.handle(guard(socket, 'tcp', () => socket.writableLength));
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
    const stream = new CoalescingWebSocketStream(socket);
    aedes.handle(guard(stream, 'websocket', () => stream.bufferedAmount), request);
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
    await cluster?.close();
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
    stats: () => ({
      limits: { ...limits, ...packetSizes },
      connections: aedes.connectedClients,
      refused: { ...refused, subscriptions: subscriptionBudget.refused() },
      inboundThrottled,
      retained: { ...retainedBudget.usage(), evicted: retainedBudget.evicted() },
    }),
    close() {
      closing ??= (async () => {
        brokerAuth?.dispose();
        subscriptionBudget.dispose();
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
        await cluster?.close();
      })();
      return closing;
    },
  };
}

