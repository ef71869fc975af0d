/**
 * A broker-side observer: a plain MQTT client that watches every chat topic of a run and counts,
 * per request id, what the workers published. It can also re-publish each request it sees (a
 * QoS 1 redelivery: same packet content, DUP flag set) to test duplicate handling.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { decodeRequest, decodeStatus, decodeStream, TopicScheme } from '../../../src/transport/index.js';

export interface RequestTally {
  /** Request publishes seen on the broker (original + redeliveries). */
  requests: number;
  /** Live stream envelopes carrying seq 0 (each answer starts exactly once). */
  starts: number;
  /** Final statuses (`done`, `error`, `aborted`) published. */
  finals: number;
}

export class BrokerSpy {
  readonly tallies = new Map<string, RequestTally>();
  private readonly topics = new TopicScheme();

  private constructor(
    private readonly client: MqttClient,
    /** Extra copies to publish of every request seen, with the DUP flag. */
    private readonly redeliver: number,
  ) {
    client.on('message', (topic, payload) => this.onMessage(topic, payload));
  }

  static async start(url: string, redeliver = 0): Promise<BrokerSpy> {
    // Retried: a broker just started under the CPU hog may reset the first connection.
    const client = await mqtt.connectAsync(url, { clientId: `chaos_spy_${Math.random().toString(36).slice(2, 10)}`, reconnectPeriod: 250 });
    const spy = new BrokerSpy(client, redeliver);
    await client.subscribeAsync(['chat/+/+/request', 'chat/+/+/stream', 'chat/+/+/status'], { qos: 1 });
    return spy;
  }

  tally(requestId: string): RequestTally {
    let tally = this.tallies.get(requestId);
    if (!tally) this.tallies.set(requestId, (tally = { requests: 0, starts: 0, finals: 0 }));
    return tally;
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }

  private onMessage(topic: string, payload: Buffer): void {
    const parsed = this.topics.parse(topic);
    if (!parsed) return;
    if (parsed.channel === 'request') {
      const decoded = decodeRequest(payload);
      if (!decoded.ok) return;
      const tally = this.tally(decoded.value.requestId);
      tally.requests++;
      // Copy the first sighting only: brokers clear DUP on delivery, so copies look like originals.
      if (tally.requests === 1) for (let i = 0; i < this.redeliver; i++) this.client.publish(topic, payload, { qos: 1, dup: true });
    } else if (parsed.channel === 'stream') {
      const decoded = decodeStream(payload);
      if (decoded.ok && decoded.value.seq === 0) this.tally(decoded.value.requestId).starts++;
    } else if (parsed.channel === 'status') {
      const decoded = decodeStatus(payload);
      if (decoded.ok && (decoded.value.state === 'done' || decoded.value.state === 'error' || decoded.value.state === 'aborted')) this.tally(decoded.value.requestId).finals++;
    }
  }
}
