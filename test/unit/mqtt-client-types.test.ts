/**
 * Type test: MQTT.js clients are `MqttClientLike` as they are (issue 15, F4), so apps pass
 * `mqtt.connect(...)` to the transport without a cast. `npm run typecheck` checks these lines;
 * the runtime test below only keeps Vitest from reporting an empty file.
 */
import type { MqttClient } from 'mqtt';
import { expect, expectTypeOf, test } from 'vitest';
import type { MockMqttClient } from '../../src/testing/mock-client.js';
import type { MqttClientLike } from '../../src/transport/mqtt-client.js';
import type { CloudSignalChatTransportOptions } from '../../src/transport/index.js';

test('MQTT.js 5 and the mock client are MqttClientLike; a client without publish is not', () => {
  expectTypeOf<MqttClient>().toExtend<MqttClientLike>();
  expectTypeOf<MockMqttClient>().toExtend<MqttClientLike>();
  expectTypeOf<MqttClient>().toExtend<NonNullable<CloudSignalChatTransportOptions['client']>>();
  expectTypeOf<Omit<MqttClient, 'publish'>>().not.toExtend<MqttClientLike>();

  const takesClient = (client: MqttClientLike) => client.connected;
  const fromMqttJs = (client: MqttClient) => takesClient(client);
  // @ts-expect-error: a listener for an event the kit does not know is not part of the surface
  const wrongEvent = (client: MqttClientLike) => client.on('packetsend', () => undefined);
  expect([fromMqttJs, wrongEvent].every((fn) => typeof fn === 'function')).toBe(true);
});
