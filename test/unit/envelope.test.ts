import type { UIMessageChunk } from 'ai';
import { describe, expect, test } from 'vitest';
import {
  decodeComplete,
  decodeControl,
  decodeRequest,
  decodeStatus,
  decodeStream,
  encodeComplete,
  encodeControl,
  encodeRequest,
  encodeStatus,
  encodeStream,
  mergeDeltas,
} from '../../src/transport/index.js';

const delta = (text: string, id = 't'): UIMessageChunk => ({ type: 'text-delta', id, delta: text });
const bytes = (text: string) => new TextEncoder().encode(text);

describe('envelope codec', () => {
  test('round-trips every envelope kind, from strings and bytes', () => {
    const stream = { requestId: 'r1', seq: 3, chunks: [delta('a'), delta('b')], end: true };
    expect(decodeStream(bytes(encodeStream(stream)))).toEqual({ ok: true, value: stream });
    const status = { requestId: 'r1', state: 'generating' as const, lastSeq: 4, at: 1, messageId: 'm' };
    expect(decodeStatus(encodeStatus(status))).toEqual({ ok: true, value: status });
    const complete = { requestId: 'r1', state: 'done' as const, chunks: [delta('ab')], at: 2 };
    expect(decodeComplete(encodeComplete(complete))).toEqual({ ok: true, value: complete });
    const request = { requestId: 'r1', trigger: 'submit-message' as const, messages: [{ id: 'u', role: 'user' as const, parts: [] }], clientId: 'k' };
    expect(decodeRequest(encodeRequest(request))).toEqual({ ok: true, value: request });
    const replay = { op: 'replay' as const, requestId: 'r1', fromSeq: 7, clientId: 'k' };
    expect(decodeControl(encodeControl(replay))).toEqual({ ok: true, value: replay });
  });

  test('the envelope adds at most 46 bytes to a token chunk (16-character request id)', () => {
    const chunk = delta(' hello');
    const envelope = encodeStream({ requestId: 'ABCDEFGHIJKLMNOP', seq: 123, chunks: [chunk], end: false });
    expect(envelope.length - JSON.stringify(chunk).length).toBeLessThanOrEqual(46);
  });

  test.each([
    ['not json', 'malformed'],
    ['[]', 'malformed'],
    ['null', 'malformed'],
    ['{"v":2,"r":"x","s":0,"c":[{"type":"start"}]}', 'version'],
    ['{"v":1,"r":"a/b","s":0,"c":[{"type":"start"}]}', 'invalid'],
    ['{"v":1,"r":"x","s":-1,"c":[{"type":"start"}]}', 'invalid'],
    ['{"v":1,"r":"x","s":1.5,"c":[{"type":"start"}]}', 'invalid'],
    ['{"v":1,"r":"x","s":0,"c":[]}', 'invalid'],
    ['{"v":1,"r":"x","s":0,"c":[{"kind":"start"}]}', 'invalid'],
  ])('decodeStream(%j) fails as %s without throwing', (payload, reason) => {
    expect(decodeStream(payload)).toEqual({ ok: false, reason });
  });

  test('statuses with unknown states and controls with unknown ops are invalid', () => {
    expect(decodeStatus('{"v":1,"r":"x","st":"hacked","s":0,"at":1}')).toEqual({ ok: false, reason: 'invalid' });
    expect(decodeControl('{"v":1,"r":"x","op":"delete-everything"}')).toEqual({ ok: false, reason: 'invalid' });
    expect(decodeControl('{"v":1,"r":"x","op":"replay","s":0,"cid":"../x"}')).toEqual({ ok: false, reason: 'invalid' });
  });

  test('mergeDeltas merges runs of the same part only', () => {
    const merged = mergeDeltas([{ type: 'text-start', id: 't' }, delta('a'), delta('b'), delta('c', 'u'), delta('d', 'u'), { type: 'text-end', id: 't' }, delta('e')]);
    expect(merged).toEqual([{ type: 'text-start', id: 't' }, delta('ab'), delta('cd', 'u'), { type: 'text-end', id: 't' }, delta('e')]);
  });

  test('mergeDeltas keeps deltas with provider metadata apart', () => {
    const withMeta = { ...delta('x'), providerMetadata: { p: { k: 1 } } } as UIMessageChunk;
    expect(mergeDeltas([delta('a'), withMeta, delta('b')])).toHaveLength(3);
  });
});
