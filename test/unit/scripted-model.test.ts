import { describe, expect, it, vi } from 'vitest';
import { generateText, streamText, type UIMessageChunk } from 'ai';
import { createScriptedModel, scriptedChunkStream, tokenize } from '../../src/testing/scripted-model.js';

/** Reads `stream` to its end; `onItem` sees each item as it arrives. */
async function readAll<T>(stream: ReadableStream<T>, onItem?: (item: T) => void): Promise<T[]> {
  const items: T[] = [];
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return items;
    items.push(value);
    onItem?.(value);
  }
}

/** Calls `action` once, when the `count`-th text delta arrives: aborts land mid-answer by event, not by a clock. */
function afterDeltas(count: number, action: () => void): (chunk: UIMessageChunk) => void {
  let seen = 0;
  return (chunk) => {
    if (chunk.type === 'text-delta' && ++seen === count) action();
  };
}

/**
 * Reads `stream` under fake timers, advancing fake time 1 ms at a time, and returns the fake
 * time at which each text delta arrived (ms after the start).
 */
async function fakeTimeArrivals(stream: ReadableStream<UIMessageChunk>): Promise<number[]> {
  const started = Date.now();
  const arrivals: number[] = [];
  let finished = false;
  const reading = readAll(stream, (chunk) => {
    if (chunk.type === 'text-delta') arrivals.push(Date.now() - started);
  }).finally(() => {
    finished = true;
  });
  while (!finished) await vi.advanceTimersByTimeAsync(1);
  await reading;
  return arrivals;
}

function joinedDeltas(chunks: UIMessageChunk[]): string {
  return chunks.map((chunk) => (chunk.type === 'text-delta' ? chunk.delta : '')).join('');
}

const TEXTS = [
  'Hello, world!',
  '  leading and trailing spaces  ',
  'line one\nline two\n\n- a list item\n',
  'unicode: héllo wörld 👋 日本語 text',
  'single',
  '',
  '\t\n ',
  '```ts\nconst x = 1;\n```',
];

describe('tokenize', () => {
  it.each(TEXTS)('joins back to %j exactly', (text) => {
    expect(tokenize(text).join('')).toBe(text);
  });

  it('splits into words carrying their leading whitespace', () => {
    expect(tokenize('Hello, big  world! ')).toEqual(['Hello,', ' big', '  world!', ' ']);
    expect(tokenize('')).toEqual([]);
  });
});

describe('scriptedChunkStream', () => {
  it('emits a complete UI message stream whose deltas join to the text', async () => {
    const chunks = await readAll(scriptedChunkStream({ text: 'Hi there, you.', messageId: 'm1' }));
    expect(chunks).toEqual([
      { type: 'start', messageId: 'm1' },
      { type: 'start-step' },
      { type: 'text-start', id: 'text-0' },
      { type: 'text-delta', id: 'text-0', delta: 'Hi' },
      { type: 'text-delta', id: 'text-0', delta: ' there,' },
      { type: 'text-delta', id: 'text-0', delta: ' you.' },
      { type: 'text-end', id: 'text-0' },
      { type: 'finish-step' },
      { type: 'finish', finishReason: 'stop' },
    ]);
  });

  it.each(TEXTS)('deltas join to %j exactly', async (text) => {
    const chunks = await readAll(scriptedChunkStream({ text, chunkSize: 2 }));
    expect(joinedDeltas(chunks)).toBe(text);
    expect(chunks[0]).toEqual({ type: 'start' });
    expect(chunks.at(-1)?.type).toBe('finish');
  });

  it('puts chunkSize tokens in each delta', async () => {
    const text = 'one two three four five';
    const chunks = await readAll(scriptedChunkStream({ text, chunkSize: 2 }));
    expect(chunks.filter((c) => c.type === 'text-delta').map((c) => (c as { delta: string }).delta)).toEqual(['one two', ' three four', ' five']);
  });

  it('waits tokenDelayMs before each delta', async () => {
    vi.useFakeTimers();
    try {
      expect(await fakeTimeArrivals(scriptedChunkStream({ text: 'a b c d', tokenDelayMs: 15 }))).toEqual([15, 30, 45, 60]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('stops, calls onAbort and closes when the signal aborts', async () => {
    const controller = new AbortController();
    const onAbort = vi.fn();
    const text = 'one two three four five six seven eight nine ten';
    const stream = scriptedChunkStream({ text, tokenDelayMs: 10, signal: controller.signal, onAbort });
    const chunks = await readAll(stream, afterDeltas(3, () => controller.abort('stop pressed')));

    // The stream is pull-driven: nothing past the third delta was produced before the abort.
    expect(joinedDeltas(chunks)).toBe('one two three');
    expect(chunks.some((c) => c.type === 'finish')).toBe(false);
    expect(onAbort).toHaveBeenCalledTimes(1);
    expect(onAbort).toHaveBeenCalledWith('stop pressed');
  });

  it('emits nothing when the signal is already aborted', async () => {
    const onAbort = vi.fn();
    const chunks = await readAll(scriptedChunkStream({ text: 'a b', signal: AbortSignal.abort(), onAbort }));
    expect(chunks).toEqual([]);
    expect(onAbort).toHaveBeenCalledTimes(1);
  });

  it('stops when the reader cancels', async () => {
    const onAbort = vi.fn();
    const stream = scriptedChunkStream({ text: 'a b c d e', tokenDelayMs: 10, onAbort });
    const reader = stream.getReader();
    await reader.read();
    await reader.cancel('gone');
    expect(onAbort).toHaveBeenCalledWith('gone');
  });

  it('does not call onAbort after a complete stream', async () => {
    const controller = new AbortController();
    const onAbort = vi.fn();
    await readAll(scriptedChunkStream({ text: 'a b', signal: controller.signal, onAbort }));
    controller.abort();
    expect(onAbort).not.toHaveBeenCalled();
  });
});

describe('createScriptedModel', () => {
  it.each(TEXTS.filter((text) => text.length > 0))('streamText().toUIMessageStream() yields %j exactly', async (text) => {
    const model = createScriptedModel({ text });
    const chunks = await readAll(streamText({ model, prompt: 'hi' }).toUIMessageStream());
    expect(joinedDeltas(chunks)).toBe(text);
    expect(chunks.map((c) => c.type)).toEqual([
      'start',
      'start-step',
      'text-start',
      ...tokenize(text).map(() => 'text-delta'),
      'text-end',
      'finish-step',
      'finish',
    ]);
  });

  it('answers each call with the next text, repeats the last, and records the calls', async () => {
    const model = createScriptedModel({ texts: ['first answer', 'second answer'] });
    const answers: string[] = [];
    for (const prompt of ['a', 'b', 'c']) answers.push(await streamText({ model, prompt }).text);
    expect(answers).toEqual(['first answer', 'second answer', 'second answer']);
    expect(model.calls).toHaveLength(3);
    expect(JSON.stringify(model.calls[1].prompt)).toContain('"b"');
    expect(model.aborted).toBe(0);
  });

  it('streams at tokenDelayMs after firstTokenDelayMs', async () => {
    vi.useFakeTimers();
    try {
      const model = createScriptedModel({ text: 'a b c', firstTokenDelayMs: 40, tokenDelayMs: 10 });
      expect(await fakeTimeArrivals(streamText({ model, prompt: 'hi' }).toUIMessageStream())).toEqual([40, 50, 60]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('stops when the call is aborted and records it', async () => {
    const model = createScriptedModel({ text: 'one two three four five six seven eight nine ten', tokenDelayMs: 10 });
    const controller = new AbortController();
    const result = streamText({ model, prompt: 'hi', abortSignal: controller.signal });
    const chunks = await readAll(result.toUIMessageStream(), afterDeltas(2, () => controller.abort()));

    expect(model.aborted).toBe(1);
    expect(chunks.at(-1)?.type).toBe('abort');
    const partial = joinedDeltas(chunks);
    expect(partial.startsWith('one two')).toBe(true);
    expect('one two three four five six seven eight nine ten'.startsWith(partial)).toBe(true);
    expect(partial).not.toBe('one two three four five six seven eight nine ten');
  });

  it('works with generateText and its abort too', async () => {
    const model = createScriptedModel({ text: 'whole answer', tokenDelayMs: 5 });
    expect((await generateText({ model, prompt: 'hi' })).text).toBe('whole answer');
    // An answer that would take an hour, aborted once the call reached the model: no timer race.
    const slow = createScriptedModel({ text: 'slow answer', firstTokenDelayMs: 3_600_000 });
    const controller = new AbortController();
    const answer = generateText({ model: slow, prompt: 'hi', abortSignal: controller.signal });
    await vi.waitFor(() => expect(slow.calls).toHaveLength(1));
    controller.abort();
    await expect(answer).rejects.toThrow();
    expect(slow.aborted).toBe(1);
  });
});
