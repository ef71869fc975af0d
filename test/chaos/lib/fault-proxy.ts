/**
 * A fault-injecting MQTT-over-WebSocket proxy on 127.0.0.1, between browsers (transports) and a
 * broker. It knows each connection by the client id of its CONNECT packet, so a test can cut,
 * block, stall or thin out the traffic of one chosen client:
 *
 * - `drop(id, 'destroy')`: both sockets torn down without a close handshake (a dead network);
 * - `drop(id, 'clean')`: a proper WebSocket close on both sides (a server or proxy going away);
 * - `block(id, ms)`: drop and refuse that client's reconnects for `ms` (a long offline gap);
 * - `stall(id, ms)`: hold every broker-to-client packet for `ms`, then deliver them in order;
 * - `loss`: drop a fraction of broker-to-client PUBLISH packets whose topic matches;
 * - `jitter`: delay every packet, both ways, by a random time in a range (a broker that delivers
 *   slowly); order is kept per direction, as on one TCP connection.
 *
 * Packets are parsed with mqtt-packet (MQTT.js' own codec) so only whole PUBLISH packets are
 * dropped; everything else passes byte-identical in meaning.
 */
import { WebSocketServer, WebSocket, type RawData } from 'ws';
import mqttPacket from 'mqtt-packet';
import type { AddressInfo } from 'node:net';

/** Delay of every packet through the proxy, uniform in [minMs, maxMs]. */
export interface JitterRule {
  minMs: number;
  maxMs: number;
  random: () => number;
}

export interface LossRule {
  /** Fraction of matching packets to drop, 0..1. */
  rate: number;
  match(topic: string): boolean;
  /** Random source; seeded in tests so a failing run can be replayed. */
  random: () => number;
}

interface Link {
  clientId: string | null;
  client: WebSocket;
  upstream: WebSocket;
  stalledUntil: number;
  held: Buffer[];
  releaseTimer: ReturnType<typeof setTimeout> | undefined;
  protocolVersion: 3 | 4 | 5;
  closed: boolean;
  /** Jittered packets waiting, per direction, in the order they must leave. */
  lanes: { up: Lane; down: Lane };
}

interface Lane {
  queue: Array<{ at: number; send: () => void }>;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** When the last queued packet leaves: a later one never overtakes it. */
  lastAt: number;
}

const newLane = (): Lane => ({ queue: [], timer: undefined, lastAt: 0 });

export interface ProxyCounters {
  connections: number;
  refused: number;
  drops: { destroy: number; clean: number; block: number };
  stalls: number;
  /** Broker-to-client PUBLISH packets dropped by the loss rule. */
  lost: number;
  /** Broker-to-client PUBLISH packets that matched the loss rule (dropped or not). */
  matched: number;
  /** Packets delayed by the jitter rule. */
  jittered: number;
}

export class FaultProxy {
  readonly counters: ProxyCounters = { connections: 0, refused: 0, drops: { destroy: 0, clean: 0, block: 0 }, stalls: 0, lost: 0, matched: 0, jittered: 0 };
  loss: LossRule | null = null;
  jitter: JitterRule | null = null;
  private readonly links = new Set<Link>();
  private readonly blockedUntil = new Map<string, number>();

  private constructor(
    private readonly server: WebSocketServer,
    private readonly upstreamUrl: string,
  ) {
    server.on('connection', (socket) => this.accept(socket));
  }

  static async start(upstreamUrl: string): Promise<FaultProxy> {
    const server = new WebSocketServer({
      host: '127.0.0.1',
      port: 0,
      perMessageDeflate: false,
      handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : false),
    });
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
    return new FaultProxy(server, upstreamUrl);
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.server.address() as AddressInfo).port}/mqtt`;
  }

  /** Live connections of `clientId` (0 or 1 for a well-behaved client). */
  connectionsOf(clientId: string): number {
    let n = 0;
    for (const link of this.links) if (link.clientId === clientId && !link.closed) n++;
    return n;
  }

  drop(clientId: string, how: 'destroy' | 'clean'): boolean {
    let hit = false;
    for (const link of [...this.links]) {
      if (link.clientId !== clientId || link.closed) continue;
      hit = true;
      this.teardown(link, how);
    }
    if (hit) this.counters.drops[how]++;
    return hit;
  }

  /** Cuts the client off and refuses its reconnects for `ms`. */
  block(clientId: string, ms: number): void {
    this.blockedUntil.set(clientId, Date.now() + ms);
    for (const link of [...this.links]) if (link.clientId === clientId) this.teardown(link, 'destroy');
    this.counters.drops.block++;
  }

  /** Holds broker-to-client traffic of `clientId` for `ms`, then delivers it in order. */
  stall(clientId: string, ms: number): boolean {
    let hit = false;
    for (const link of this.links) {
      if (link.clientId !== clientId || link.closed) continue;
      hit = true;
      link.stalledUntil = Date.now() + ms;
      clearTimeout(link.releaseTimer);
      link.releaseTimer = setTimeout(() => this.release(link), ms);
    }
    if (hit) this.counters.stalls++;
    return hit;
  }

  async close(): Promise<void> {
    for (const link of [...this.links]) this.teardown(link, 'destroy');
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: WebSocket): void {
    this.counters.connections++;
    const upstream = new WebSocket(this.upstreamUrl, 'mqtt', { perMessageDeflate: false });
    const link: Link = { clientId: null, client, upstream, stalledUntil: 0, held: [], releaseTimer: undefined, protocolVersion: 4, closed: false, lanes: { up: newLane(), down: newLane() } };
    this.links.add(link);
    const pendingUp: Buffer[] = [];
    const fromClient = mqttPacket.parser({ protocolVersion: 4 });
    let fromBroker: ReturnType<typeof mqttPacket.parser> | null = null;

    fromClient.on('packet', (packet) => {
      if (packet.cmd !== 'connect') return;
      link.clientId = packet.clientId;
      link.protocolVersion = (packet.protocolVersion ?? 4) as 3 | 4 | 5;
      (fromClient as unknown as { settings: { protocolVersion: number } }).settings.protocolVersion = link.protocolVersion;
      fromBroker = mqttPacket.parser({ protocolVersion: link.protocolVersion });
      fromBroker.on('packet', (p) => this.toClient(link, p));
      fromBroker.on('error', () => this.teardown(link, 'destroy'));
      const until = this.blockedUntil.get(packet.clientId);
      if (until !== undefined && until > Date.now()) {
        this.counters.refused++;
        this.teardown(link, 'destroy');
      }
    });
    fromClient.on('error', () => this.teardown(link, 'destroy'));

    client.on('message', (data: RawData) => {
      const bytes = toBuffer(data);
      fromClient.parse(bytes);
      if (link.closed) return;
      this.later(link, 'up', () => {
        if (upstream.readyState === WebSocket.OPEN) upstream.send(bytes);
        else pendingUp.push(bytes);
      });
    });
    upstream.on('open', () => {
      for (const bytes of pendingUp.splice(0)) upstream.send(bytes);
    });
    upstream.on('message', (data: RawData) => {
      if (link.closed) return;
      fromBroker?.parse(toBuffer(data));
    });
    // A close on either side closes the other the same way it happened.
    client.on('close', () => this.teardown(link, 'clean'));
    upstream.on('close', () => this.teardown(link, 'clean'));
    client.on('error', () => this.teardown(link, 'destroy'));
    upstream.on('error', () => this.teardown(link, 'destroy'));
  }

  private toClient(link: Link, packet: mqttPacket.Packet): void {
    if (link.closed) return;
    if (packet.cmd === 'publish' && this.loss && this.loss.match(packet.topic)) {
      this.counters.matched++;
      if (this.loss.random() < this.loss.rate) {
        // Only QoS 0 may vanish silently; a lost QoS 1 packet would also lose its PUBACK exchange.
        if ((packet.qos ?? 0) === 0) {
          this.counters.lost++;
          return;
        }
      }
    }
    const bytes = mqttPacket.generate(packet, { protocolVersion: link.protocolVersion });
    if (link.stalledUntil > Date.now() || link.held.length > 0) {
      link.held.push(bytes);
      return;
    }
    this.later(link, 'down', () => link.client.send(bytes));
  }

  /** Runs `send` now, or after the jitter delay, never before an earlier packet of the same direction. */
  private later(link: Link, direction: 'up' | 'down', send: () => void): void {
    const jitter = this.jitter;
    const lane = link.lanes[direction];
    if (!jitter && lane.queue.length === 0) return send();
    const delay = jitter ? jitter.minMs + jitter.random() * (jitter.maxMs - jitter.minMs) : 0;
    lane.lastAt = Math.max(lane.lastAt, Date.now() + delay);
    lane.queue.push({ at: lane.lastAt, send });
    if (jitter) this.counters.jittered++;
    if (!lane.timer) this.pump(link, lane);
  }

  private pump(link: Link, lane: Lane): void {
    lane.timer = undefined;
    while (lane.queue.length > 0 && lane.queue[0].at <= Date.now()) {
      const { send } = lane.queue.shift()!;
      if (!link.closed) send();
    }
    if (lane.queue.length > 0 && !link.closed) lane.timer = setTimeout(() => this.pump(link, lane), lane.queue[0].at - Date.now());
  }

  private release(link: Link): void {
    link.releaseTimer = undefined;
    link.stalledUntil = 0;
    if (link.closed) return;
    for (const bytes of link.held.splice(0)) link.client.send(bytes);
  }

  private teardown(link: Link, how: 'destroy' | 'clean'): void {
    if (link.closed) return;
    link.closed = true;
    this.links.delete(link);
    clearTimeout(link.releaseTimer);
    for (const lane of [link.lanes.up, link.lanes.down]) {
      clearTimeout(lane.timer);
      lane.queue = [];
    }
    link.held = [];
    for (const socket of [link.client, link.upstream]) {
      if (how === 'destroy' || socket.readyState === WebSocket.CONNECTING) socket.terminate();
      else socket.close(1000, 'proxy closed');
    }
  }
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data as ArrayBuffer);
}
