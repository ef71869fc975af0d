/**
 * A minimal answerer of `history` queries for the hydration benchmark, written with the kit's own
 * topic builder and codecs: subscribe to every user's `~/query`, load the page from the store with
 * the topic's user id, answer on the asker's `~/answer/{clientId}`. It stands in for the worker's
 * query responder, which was not on main when this suite was written; swap it for that one when it is.
 */
import mqtt, { type MqttClient } from 'mqtt';
import type { ChatStore } from '../../src/server/store/chat-store.js';
import { decodeQuery, encodeAnswer } from '../../src/transport/envelope.js';
import { TopicScheme } from '../../src/transport/topics.js';

export interface HistoryResponder {
  close(): Promise<void>;
}

export async function startHistoryResponder(mqttUrl: string, store: ChatStore, topics = new TopicScheme()): Promise<HistoryResponder> {
  const client: MqttClient = await mqtt.connectAsync(mqttUrl, { reconnectPeriod: 0 });
  (client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
  client.on('message', (topic, payload) => {
    const user = topics.parseUser(topic);
    const decoded = decodeQuery(payload);
    if (!user || user.channel !== 'query' || !decoded.ok || decoded.value.op !== 'history') return;
    const query = decoded.value;
    const answerTopic = topics.userTopic(user.userId, 'answer', query.clientId);
    store.loadMessages({ userId: user.userId, chatId: query.chatId }, { after: query.after, before: query.before, limit: query.limit }).then(
      (page) => client.publish(answerTopic, encodeAnswer({ queryId: query.queryId, result: page }), { qos: 1 }),
      (error: unknown) => client.publish(answerTopic, encodeAnswer({ queryId: query.queryId, error: { code: 'internal', message: String(error) } }), { qos: 1 }),
    );
  });
  await client.subscribeAsync(topics.queryFilter(), { qos: 1 });
  return { close: () => client.endAsync() };
}
