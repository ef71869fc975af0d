/**
 * Routes `control` messages (abort, replay) to the live turns of one MQTT client.
 * A chat's control topic is subscribed only while this client runs a turn on it, so with
 * shared subscriptions only the worker that owns a turn ever receives its control traffic.
 */
import { decodeControl, type ControlEnvelope } from '../transport/envelope.js';
import { subscribeAsync, unsubscribeAsync, type MqttClientLike } from '../transport/mqtt-client.js';
import type { ChatAddress, TopicScheme } from '../transport/topics.js';

export interface ControlTarget {
  requestId: string;
  onControl(control: ControlEnvelope): void;
}

interface Entry {
  targets: Map<string, ControlTarget>;
  subscribed: Promise<unknown>;
}

export class ControlRouter {
  private readonly byTopic = new Map<string, Entry>();
  /** Control messages that named no live turn here, or did not decode. */
  dropped = 0;

  private readonly onMessage = (topic: string, payload: Uint8Array): void => {
    const entry = this.byTopic.get(topic);
    if (!entry) return;
    const decoded = decodeControl(payload);
    if (!decoded.ok) {
      this.dropped++;
      return;
    }
    const target = entry.targets.get(decoded.value.requestId);
    if (target) target.onControl(decoded.value);
    else this.dropped++;
  };

  private constructor(private readonly client: MqttClientLike) {
    client.on('message', this.onMessage);
    // Clean sessions lose subscriptions on reconnect; subscribe again what is still live.
    client.on('connect', () => {
      const topics = [...this.byTopic.keys()];
      if (topics.length > 0) void subscribeAsync(client, topics, 1).catch(() => undefined);
    });
  }

  private static readonly routers = new WeakMap<MqttClientLike, ControlRouter>();

  /** One router per client, shared by every turn published through it. */
  static for(client: MqttClientLike): ControlRouter {
    let router = ControlRouter.routers.get(client);
    if (!router) {
      router = new ControlRouter(client);
      ControlRouter.routers.set(client, router);
    }
    return router;
  }

  /** Registers a live turn; resolves the returned promise once the broker acknowledged the subscription. */
  register(topics: TopicScheme, address: ChatAddress, target: ControlTarget): { ready: Promise<unknown>; release: () => void } {
    const topic = topics.topic(address, 'control');
    let entry = this.byTopic.get(topic);
    if (!entry) {
      entry = { targets: new Map(), subscribed: subscribeAsync(this.client, topic, 1).catch(() => undefined) };
      this.byTopic.set(topic, entry);
    }
    entry.targets.set(target.requestId, target);
    const current = entry;
    return {
      ready: current.subscribed,
      release: () => {
        if (current.targets.get(target.requestId) === target) current.targets.delete(target.requestId);
        if (current.targets.size === 0 && this.byTopic.get(topic) === current) {
          this.byTopic.delete(topic);
          void unsubscribeAsync(this.client, topic);
        }
      },
    };
  }
}
