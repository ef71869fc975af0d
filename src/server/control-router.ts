/**
 * Routes `control` messages (abort, replay) of a chat to one live turn, through the client's
 * {@link MessageDispatcher}. A chat's control topic is subscribed only while this client runs a
 * turn on it, so with shared subscriptions only the worker that owns a turn receives its control
 * traffic; any device of the user may publish there, so Stop works from every device.
 */
import { decodeControl, type ControlEnvelope } from '../transport/envelope.js';
import type { MqttClientLike } from '../transport/mqtt-client.js';
import type { ChatAddress, TopicScheme } from '../transport/topics.js';
import { MessageDispatcher, type Route } from './message-dispatcher.js';

/** A control is a few dozen bytes; anything far larger is not decoded at all. */
const MAX_CONTROL_BYTES = 1024;

/** Listens to `requestId`'s controls on the chat's control topic until the returned route is released. */
export function routeTurnControls(client: MqttClientLike, topics: TopicScheme, address: ChatAddress, requestId: string, onControl: (control: ControlEnvelope) => void): Route {
  return MessageDispatcher.for(client).routeExact(topics.topic(address, 'control'), (_topic, payload) => {
    if (payload.byteLength > MAX_CONTROL_BYTES) return;
    const decoded = decodeControl(payload);
    // Controls of other turns of the chat, and malformed ones, are not this turn's business.
    if (decoded.ok && decoded.value.requestId === requestId) onControl(decoded.value);
  });
}
