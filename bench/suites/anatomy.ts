/**
 * Where the bytes of one token message go, computed with the kit's own topic builder and codec
 * (deterministic, no timing): WebSocket frame header, MQTT PUBLISH header, topic, payload, for
 * a few id styles and prefixes. Explains the bytes-per-token rows and what an app can change.
 */
import { encodeStream, TopicScheme } from '../../src/transport/index.js';
import { fmt, table } from '../lib/stats.js';
import type { SuiteContext, SuiteResult } from '../lib/suite.js';

/** Bytes of an MQTT 3.1.1/5 QoS 0 PUBLISH fixed header + topic length field for a remaining length. */
function mqttHeader(remaining: number): number {
  return 1 + (remaining < 128 ? 1 : remaining < 16_384 ? 2 : 3);
}

/** Server-to-client WebSocket frame header (unmasked). */
function wsHeader(payload: number): number {
  return payload < 126 ? 2 : payload < 65_536 ? 4 : 10;
}

export async function runAnatomy(_ctx: SuiteContext): Promise<SuiteResult> {
  const token = ' sastre'; // a typical ~5-byte token
  const styles = [
    { name: 'prefix chat, user 15 ch, chat 16 ch (bench default)', prefix: 'chat', userId: 'user_k3J9xQ2mZp', chatId: 'chat000000000000' },
    { name: 'prefix chat, UUID user and chat ids', prefix: 'chat', userId: '3f2b8c1e-6a4d-4e7b-9c0a-1d2e3f4a5b6c', chatId: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d' },
    { name: 'prefix c, user 8 ch, chat 8 ch', prefix: 'c', userId: 'u8k3J9xQ', chatId: 'c0000001' },
  ];
  const rows: (string | number)[][] = [];
  const data = [];
  for (const s of styles) {
    const topic = new TopicScheme(s.prefix).topic({ userId: s.userId, chatId: s.chatId }, 'stream');
    const payload = encodeStream({ requestId: 'AbCdEfGhIjKlMnOp', seq: 123, chunks: [{ type: 'text-delta', id: 't0', delta: token }], end: false });
    const topicBytes = 2 + topic.length;
    const remaining = topicBytes + payload.length;
    const mqtt = mqttHeader(remaining);
    const ws = wsHeader(mqtt + remaining);
    const total = ws + mqtt + remaining;
    rows.push([s.name, String(ws), String(mqtt), String(topicBytes), String(payload.length), String(total), fmt(total / 65.8, 2) + 'x']);
    data.push({ ...s, topic, payload, ws, mqtt, topicBytes, payloadBytes: payload.length, total });
  }
  return {
    tables: [
      {
        title: `Anatomy of one token message (token "${token}", 16-char request id; SSE sends ~60-66 B per token)`,
        body: table(['ids', 'WS hdr', 'MQTT hdr', 'topic (+2)', 'payload', 'total B', 'vs SSE 65.8 B'], rows),
      },
    ],
    data,
  };
}
