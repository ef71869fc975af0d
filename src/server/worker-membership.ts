/**
 * Who else serves this worker group. Each worker heartbeats a retained presence message; a
 * request is owned by the live member with the highest rendezvous hash of its request id. On
 * brokers without shared subscriptions that is how exactly one worker takes each turn; with
 * shared subscriptions it is where every copy of a request is sent, so copies are dropped once.
 */
import { publishAsync, subscribeAsync, type MqttClientLike } from '../transport/mqtt-client.js';
import type { TopicScheme } from '../transport/topics.js';

export class WorkerMembership {
  private readonly lastSeen = new Map<string, number>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly filterPrefix: string;

  constructor(
    private readonly client: MqttClientLike,
    private readonly topics: TopicScheme,
    private readonly group: string,
    readonly workerId: string,
    private readonly intervalMs: number,
  ) {
    this.filterPrefix = topics.workerPresenceFilter(group).slice(0, -1);
  }

  private readonly onMessage = (topic: string, payload: Uint8Array): void => {
    if (!topic.startsWith(this.filterPrefix)) return;
    const id = topic.slice(this.filterPrefix.length);
    if (payload.byteLength === 0) this.lastSeen.delete(id);
    else if (id !== this.workerId) this.lastSeen.set(id, Date.now());
  };

  /** Clean sessions forget subscriptions: without this, after a broker restart every worker would see itself alone and serve every request. */
  private readonly onConnect = (): void => {
    void subscribeAsync(this.client, this.topics.workerPresenceFilter(this.group), 1).catch(() => undefined);
    void this.beat();
  };

  async start(): Promise<void> {
    this.client.on('message', this.onMessage);
    this.client.on('connect', this.onConnect);
    await subscribeAsync(this.client, this.topics.workerPresenceFilter(this.group), 1);
    await this.beat();
    this.timer = setInterval(() => void this.beat(), this.intervalMs);
    (this.timer as { unref?: () => void }).unref?.();
  }

  /** True when this worker owns `requestId` among the members alive now. */
  owns(requestId: string): boolean {
    return this.owner(requestId) === this.workerId;
  }

  /** The live member that owns `requestId` (this worker when it knows no better one). */
  owner(requestId: string): string {
    const now = Date.now();
    let best = this.workerId;
    let bestScore = score(requestId, this.workerId);
    for (const [id, seen] of this.lastSeen) {
      if (now - seen > this.intervalMs * 3) continue;
      const s = score(requestId, id);
      if (s > bestScore || (s === bestScore && id > best)) {
        best = id;
        bestScore = s;
      }
    }
    return best;
  }

  get members(): number {
    return this.lastSeen.size + 1;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.client.off('message', this.onMessage);
    this.client.off('connect', this.onConnect);
    await publishAsync(this.client, this.topics.workerPresenceTopic(this.group, this.workerId), '', { qos: 1, retain: true }).catch(() => undefined);
  }

  private beat(): Promise<void> {
    return publishAsync(this.client, this.topics.workerPresenceTopic(this.group, this.workerId), String(Date.now()), { qos: 1, retain: true }).catch(() => undefined);
  }
}

/** FNV-1a of request id + worker id: stable, fast, evenly spread. */
function score(requestId: string, workerId: string): number {
  let hash = 0x811c9dc5;
  const text = `${requestId}:${workerId}`;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
