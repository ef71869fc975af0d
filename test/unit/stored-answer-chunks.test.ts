/**
 * `chunksOfStoredAnswer`: a stored answer replayed as chunks builds the same message again through
 * the AI SDK's own reader (what `useChat` does with a resumed stream), and ends the way the turn did.
 */
import { readUIMessageStream, type UIMessage, type UIMessageChunk } from 'ai';
import { describe, expect, test } from 'vitest';
import { chunksOfStoredAnswer } from '../../src/transport/stored-answer-chunks.js';

async function rebuild(chunks: UIMessageChunk[]): Promise<UIMessage | undefined> {
  const stream = new ReadableStream<UIMessageChunk>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
  let last: UIMessage | undefined;
  for await (const message of readUIMessageStream({ stream })) last = message;
  return last;
}

const stored: UIMessage = {
  id: 'msg_1',
  role: 'assistant',
  metadata: { model: 'm' },
  parts: [
    { type: 'step-start' },
    { type: 'reasoning', text: 'Looking it up.', state: 'done' },
    { type: 'tool-weather', toolCallId: 'call_1', state: 'output-available', input: { city: 'Oslo' }, output: { celsius: 3 } },
    { type: 'step-start' },
    { type: 'text', text: 'It is 3 °C in Oslo.', state: 'done' },
    { type: 'source-url', sourceId: 's1', url: 'https://example.com/oslo', title: 'Oslo' },
    { type: 'file', url: 'data:text/plain;base64,aGk=', mediaType: 'text/plain' },
    { type: 'data-weather', id: 'd1', data: { city: 'Oslo' } },
  ] as UIMessage['parts'],
};

describe('chunksOfStoredAnswer', () => {
  test('the AI SDK rebuilds the stored message from the chunks: same id, metadata and parts', async () => {
    const chunks = chunksOfStoredAnswer(stored, { finalState: 'done' });
    expect(chunks.at(-1)).toEqual({ type: 'finish' });
    const rebuilt = await rebuild(chunks);
    expect(rebuilt?.id).toBe('msg_1');
    expect(rebuilt?.metadata).toEqual({ model: 'm' });
    const shape = (message: UIMessage | undefined) => message?.parts.map((part) => JSON.stringify(part, ['type', 'text', 'toolCallId', 'state', 'input', 'output', 'city', 'celsius', 'url', 'sourceId', 'mediaType', 'data']));
    expect(shape(rebuilt)).toEqual(shape(stored));
  });

  test('an answer that failed or was stopped ends with its error or abort, and a denied tool call stays denied', async () => {
    const denied: UIMessage = {
      id: 'msg_2',
      role: 'assistant',
      parts: [{ type: 'tool-delete', toolCallId: 'call_2', state: 'output-denied', input: { id: 7 }, approval: { id: 'ap_1', approved: false, reason: 'no' } }] as UIMessage['parts'],
    };
    const failed = chunksOfStoredAnswer(denied, { finalState: 'error', error: 'The model failed.' });
    expect(failed.at(-1)).toEqual({ type: 'error', errorText: 'The model failed.' });
    expect(failed.map((c) => c.type)).toEqual(['start', 'tool-input-available', 'tool-approval-request', 'tool-approval-response', 'tool-output-denied', 'error']);
    expect(chunksOfStoredAnswer(denied, { finalState: 'aborted' }).at(-1)).toEqual({ type: 'abort' });
    const rebuilt = await rebuild(chunksOfStoredAnswer(denied, { finalState: 'done' }));
    expect(rebuilt?.parts[0]).toMatchObject({ type: 'tool-delete', state: 'output-denied', input: { id: 7 } });
  });
});
