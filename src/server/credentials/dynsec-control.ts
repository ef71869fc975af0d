/**
 * A small client for Mosquitto's dynamic-security control topic. Commands go out in batches on
 * `$CONTROL/dynamic-security/v1`; each carries a correlation id so concurrent batches from the
 * same admin connection are told apart in `$CONTROL/dynamic-security/v1/response`.
 */
import { randomUUID } from 'node:crypto';
import { publishAsync, subscribeAsync, type MqttClientLike } from '../../transport/mqtt-client.js';
import { DYNSEC_CONTROL_TOPIC, DYNSEC_RESPONSE_TOPIC, type DynsecCommand } from '../security/mosquitto-config.js';
import { IssuerError } from './errors.js';

/** The answer to one command; `error` is set when Mosquitto refused it. */
export interface DynsecResponse {
  command: string;
  error?: string;
  data?: unknown;
}

/** Sends commands to Mosquitto's dynamic-security plugin over an admin connection. */
export interface DynsecControl {
  /** Sends commands in one batch and resolves with their responses, in order. */
  send(commands: readonly DynsecCommand[]): Promise<DynsecResponse[]>;
  /** Stops listening for responses (the MQTT client itself is the caller's). */
  close(): void;
}

/**
 * Binds a control client to an MQTT connection authenticated as a dynamic-security admin.
 * @param timeoutMs how long to wait for Mosquitto's answer (default 5000 ms)
 */
export function createDynsecControl(client: MqttClientLike, timeoutMs = 5000): DynsecControl {
  const pending = new Map<string, { resolve: (response: DynsecResponse) => void }>();
  let subscribed: Promise<void> | undefined;

  const onMessage = (topic: string, payload: Uint8Array) => {
    if (topic !== DYNSEC_RESPONSE_TOPIC) return;
    let body: { responses?: Array<DynsecResponse & { correlationData?: string }> };
    try {
      body = JSON.parse(new TextDecoder().decode(payload));
    } catch {
      return;
    }
    for (const response of body.responses ?? []) {
      const waiter = response.correlationData ? pending.get(response.correlationData) : undefined;
      if (!waiter || !response.correlationData) continue;
      pending.delete(response.correlationData);
      waiter.resolve({ command: response.command, error: response.error, data: response.data });
    }
  };
  client.on('message', onMessage);

  const ensureSubscribed = (): Promise<void> => {
    subscribed ??= subscribeAsync(client, DYNSEC_RESPONSE_TOPIC, 1).then((grants) => {
      if (grants.some((grant) => grant.qos === 128)) throw new IssuerError('mosquitto-dynsec', 'admin account may not read the dynsec response topic');
    });
    subscribed.catch(() => (subscribed = undefined));
    return subscribed;
  };

  return {
    async send(commands) {
      await ensureSubscribed();
      const ids = commands.map(() => randomUUID());
      const answers = ids.map(
        (id) =>
          new Promise<DynsecResponse>((resolve, reject) => {
            const timer = setTimeout(() => {
              pending.delete(id);
              reject(new IssuerError('mosquitto-dynsec', 'no answer on the dynsec control topic'));
            }, timeoutMs);
            pending.set(id, {
              resolve: (response) => {
                clearTimeout(timer);
                resolve(response);
              },
            });
          }),
      );
      const batch = commands.map((command, i) => ({ ...command, correlationData: ids[i] }));
      const all = Promise.all(answers);
      // If the publish fails the answers time out on their own; that rejection must not go unhandled.
      all.catch(() => {});
      await publishAsync(client, DYNSEC_CONTROL_TOPIC, JSON.stringify({ commands: batch }), { qos: 1 });
      return all;
    },
    close() {
      client.off('message', onMessage);
    },
  };
}
