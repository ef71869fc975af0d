/** A real Mosquitto with dynamic security, its admin connection, and a set-up issuer. */
import mqtt, { type MqttClient } from 'mqtt';
import { createMosquittoDynsecIssuer, type MosquittoDynsecIssuer } from '../../src/server/credentials/mosquitto-dynsec.js';
import type { MqttClientLike } from '../../src/transport/mqtt-client.js';
import { startMosquitto, type MosquittoHandle } from './mosquitto.js';

export interface DynsecStack {
  broker: MosquittoHandle;
  admin: MqttClient;
  issuer: MosquittoDynsecIssuer;
}

export async function startDynsecStack(adminClientId: string): Promise<DynsecStack> {
  const broker = await startMosquitto({ auth: 'dynsec' });
  const admin = await mqtt.connectAsync(broker.mqttUrl, { username: broker.admin!.username, password: broker.admin!.password, clientId: adminClientId, reconnectPeriod: 0 });
  const issuer = createMosquittoDynsecIssuer({ admin: admin as unknown as MqttClientLike });
  await issuer.setup();
  return { broker, admin, issuer };
}
