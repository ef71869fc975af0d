/**
 * The structural MQTT client surface the kit needs. MQTT.js 5 clients satisfy it as they are;
 * so does the in-memory client of `@cloudsignal/ai-chat-kit/testing` or any wrapper with the
 * same callback-style publish / subscribe / unsubscribe / on / off.
 */
export type QoS = 0 | 1 | 2;

/** Options of one publish; `properties` is only sent on MQTT 5 connections. */
export interface PublishOptions {
  qos?: QoS;
  retain?: boolean;
  properties?: { messageExpiryInterval?: number; [key: string]: unknown };
}

/** One entry of a SUBACK: `qos` is 128 when the broker refused the topic. */
export interface SubscriptionGrant {
  topic: string;
  qos: number;
}

/** Listener signatures of the events the kit listens to, named as MQTT.js names them. */
export interface MqttClientEvents {
  message: (topic: string, payload: Uint8Array, packet?: unknown) => void;
  connect: (connack?: unknown) => void;
  reconnect: () => void;
  close: () => void;
  offline: () => void;
  end: () => void;
  error: (error: Error) => void;
}

/**
 * The MQTT client surface the kit uses: MQTT.js 5 clients, the in-memory client of
 * `@cloudsignal/ai-chat-kit/testing`, or any wrapper with the same callback-style methods.
 */
export interface MqttClientLike {
  readonly connected: boolean;
  /** MQTT.js exposes its connect options here; the kit reads `clientId` and `protocolVersion`. */
  readonly options?: { clientId?: string; protocolVersion?: number };
  publish(topic: string, payload: string | Uint8Array, options: PublishOptions, callback?: (error?: Error) => void): unknown;
  subscribe(
    topic: string | string[],
    options: { qos: QoS },
    callback?: (error: Error | null, granted?: SubscriptionGrant[]) => void,
  ): unknown;
  unsubscribe(topic: string | string[], callback?: (error?: Error) => void): unknown;
  on<E extends keyof MqttClientEvents>(event: E, listener: MqttClientEvents[E]): unknown;
  off<E extends keyof MqttClientEvents>(event: E, listener: MqttClientEvents[E]): unknown;
}

/** Publishes and resolves once the broker took it (QoS 1) or it was written (QoS 0). */
export function publishAsync(client: MqttClientLike, topic: string, payload: string | Uint8Array, options: PublishOptions = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    client.publish(topic, payload, options, (error) => (error ? reject(error) : resolve()));
  });
}

/**
 * Subscribes and resolves with the grants. Unlike MQTT.js' `subscribeAsync`, a refused topic
 * (granted QoS 128) does not reject: callers decide what a refusal means.
 */
export function subscribeAsync(client: MqttClientLike, topics: string | string[], qos: QoS = 1): Promise<SubscriptionGrant[]> {
  return new Promise((resolve, reject) => {
    client.subscribe(topics, { qos }, (error, granted) => {
      if (error && !granted) reject(error);
      else resolve(granted ?? []);
    });
  });
}

export function unsubscribeAsync(client: MqttClientLike, topics: string | string[]): Promise<void> {
  return new Promise((resolve) => {
    // An unsubscribe that fails because the connection dropped leaves nothing to clean up.
    client.unsubscribe(topics, () => resolve());
  });
}

/** The client id of a connected client, or undefined when the client does not expose one. */
export function clientIdOf(client: MqttClientLike): string | undefined {
  return client.options?.clientId;
}
