/**
 * The two brokers every scenario runs on, behind one small interface: the embedded Aedes of the
 * kit and a real Mosquitto started by the shared harness. Both can be killed and restarted on the
 * same ports, and both report how many subscriptions they hold (for the soak's leak check).
 */
import mqtt from 'mqtt';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../../src/broker/index.js';
import { startMosquitto, type MosquittoHandle } from '../../helpers/mosquitto.js';

export type BrokerKind = 'aedes' | 'mosquitto';
export const BROKER_KINDS: BrokerKind[] = ['aedes', 'mosquitto'];

export interface ChaosBroker {
  readonly kind: BrokerKind;
  readonly mqttUrl: string;
  readonly wsUrl: string;
  /** Kills the broker (no goodbye to anyone), waits `downMs`, starts it again on the same ports. */
  restart(downMs: number): Promise<void>;
  /** Subscriptions the broker holds for connected clients right now. */
  subscriptionCount(): Promise<number>;
  close(): Promise<void>;
}

export async function startChaosBroker(kind: BrokerKind): Promise<ChaosBroker> {
  return kind === 'aedes' ? startAedes() : startMosquittoBroker();
}

async function startAedes(): Promise<ChaosBroker> {
  let broker: EmbeddedBroker = await startEmbeddedBroker({ port: 0, wsPort: 0 });
  const { port, wsPort, mqttUrl, wsUrl } = broker;
  return {
    kind: 'aedes',
    mqttUrl,
    wsUrl,
    async restart(downMs) {
      // close() destroys every socket without DISCONNECT: from the clients' side a crash.
      await broker.close();
      await sleep(downMs);
      broker = await startEmbeddedBroker({ port, wsPort });
    },
    async subscriptionCount() {
      const clients = (broker.aedes as unknown as { clients: Record<string, { subscriptions?: Record<string, unknown> }> }).clients;
      let total = 0;
      for (const client of Object.values(clients)) total += Object.keys(client.subscriptions ?? {}).length;
      return total;
    },
    close: () => broker.close(),
  };
}

async function startMosquittoBroker(): Promise<ChaosBroker> {
  // $SYS every second: the soak reads the broker's own subscription count.
  const handle: MosquittoHandle = await startMosquitto({ auth: 'anonymous', extra: ['sys_interval 1'] });
  return {
    kind: 'mosquitto',
    mqttUrl: handle.mqttUrl,
    wsUrl: handle.wsUrl,
    async restart(downMs) {
      await handle.kill();
      await sleep(downMs);
      await handle.restart();
    },
    subscriptionCount: () => mosquittoSubscriptionCount(handle.mqttUrl),
    close: () => handle.stop(),
  };
}

/**
 * Reads `$SYS/broker/subscriptions/count` with a short-lived client; its own `$SYS` subscription
 * is subtracted. Waits for a value published after the client subscribed (sys_interval 1).
 */
async function mosquittoSubscriptionCount(url: string): Promise<number> {
  const client = await mqtt.connectAsync(url, { clientId: `chaos_sys_${Math.random().toString(36).slice(2, 10)}`, reconnectPeriod: 0 });
  try {
    const values: number[] = [];
    client.on('message', (_topic, payload) => values.push(Number(payload.toString())));
    await client.subscribeAsync('$SYS/broker/subscriptions/count', { qos: 0 });
    const deadline = Date.now() + 3_000;
    // The retained value may predate our subscription: take the second one published.
    while (values.length < 2 && Date.now() < deadline) await sleep(50);
    const last = values.at(-1);
    if (last === undefined) throw new Error('mosquitto did not publish $SYS/broker/subscriptions/count');
    return last - 1;
  } finally {
    await client.endAsync(true);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
