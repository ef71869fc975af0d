/**
 * The demo with a real provider package: `@ai-sdk/openai` (through `OPENAI_BASE_URL`, as for an
 * OpenAI-compatible local server) and `@ai-sdk/anthropic` (through `ANTHROPIC_BASE_URL`), each
 * against a local stand-in that streams in the provider's own wire format. Shows the env
 * selection, the label on the page, the request the provider receives and the streamed answer.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Browser } from 'playwright-core';
import { startDemo } from '../../demo/stack.js';
import { chatPage, launchChromium, newRecordedContext, recording } from './helpers.js';

const ANSWER_TOKENS = ['A real', ' provider', ' answered', ' **this**', ' over', ' MQTT', '.'];
const RENDERED = 'A real provider answered this over MQTT.';

interface Captured {
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
}

/** A provider stand-in: records each request, answers with server-sent events, 40 ms apart. */
async function fakeProvider(events: () => string[]): Promise<{ url: string; requests: Captured[]; server: Server }> {
  const requests: Captured[] = [];
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    requests.push({ path: req.url ?? '', headers: req.headers, body: JSON.parse(raw || '{}') });
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    for (const event of events()) {
      res.write(event);
      await new Promise((r) => setTimeout(r, 40));
    }
    res.end();
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/v1`, requests, server };
}

const sse = (data: unknown, event?: string) => `${event ? `event: ${event}\n` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;

function openAiEvents(): string[] {
  const chunk = (delta: object, finish: string | null = null) => ({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 0, model: 'local-model', choices: [{ index: 0, delta, finish_reason: finish }] });
  return [
    sse(chunk({ role: 'assistant', content: '' })),
    ...ANSWER_TOKENS.map((content) => sse(chunk({ content }))),
    sse(chunk({}, 'stop')),
    sse('[DONE]'),
  ];
}

function anthropicEvents(): string[] {
  return [
    sse({ type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-test', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 12, output_tokens: 1 } } }, 'message_start'),
    sse({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }, 'content_block_start'),
    ...ANSWER_TOKENS.map((text) => sse({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } }, 'content_block_delta')),
    sse({ type: 'content_block_stop', index: 0 }, 'content_block_stop'),
    sse({ type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: ANSWER_TOKENS.length } }, 'message_delta'),
    sse({ type: 'message_stop' }, 'message_stop'),
  ];
}

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

describe('demo with a provider package', () => {
  test.each([
    {
      name: 'OpenAI-compatible server (OPENAI_BASE_URL)',
      events: openAiEvents,
      env: (url: string) => ({ OPENAI_BASE_URL: url, OPENAI_MODEL: 'local-model' }),
      label: (url: string) => `OpenAI-compatible local-model at ${url}`,
      path: '/v1/chat/completions',
      model: 'local-model',
      system: (body: Record<string, unknown>) => (body.messages as Array<{ role: string; content: unknown }>)[0],
    },
    {
      name: 'Anthropic (ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL)',
      events: anthropicEvents,
      env: (url: string) => ({ ANTHROPIC_API_KEY: 'sk-ant-test', ANTHROPIC_BASE_URL: url, ANTHROPIC_MODEL: 'claude-test' }),
      label: () => 'Anthropic claude-test',
      path: '/v1/messages',
      model: 'claude-test',
      system: (body: Record<string, unknown>) => body.system,
    },
  ])('$name: selected from the environment, labelled, streamed to the page', async ({ events, env, label, path, model, system }) => {
    const provider = await fakeProvider(events);
    const stack = await startDemo({ port: 0, mqttPort: 0, wsPort: 0, env: env(provider.url), hmr: false, log: () => undefined });
    const context = await newRecordedContext(browser);
    try {
      expect(stack.model.provider).not.toBe('simulated');
      expect(stack.model.label).toBe(label(provider.url));
      const page = await context.newPage();
      await page.goto(`${stack.url}?user=e2e-provider&chat=p1`);
      const chat = chatPage(page);
      await chat.connected();
      await page.getByText(label(provider.url), { exact: true }).waitFor();
      expect(await page.getByText('Simulated model').count()).toBe(0);

      await chat.ask('Say something');
      await chat.generation('done');
      expect(await chat.answerText()).toBe(RENDERED);
      const rec = await recording(page);
      // Streamed: the first text shown was part of the answer, which then grew.
      const shown = rec.lengths.filter((entry) => entry.value > 0);
      expect(shown[0].value).toBeLessThan(shown.at(-1)!.value);

      expect(provider.requests).toHaveLength(1);
      const [request] = provider.requests;
      expect(request.path).toBe(path);
      expect(request.body.model).toBe(model);
      expect(request.body.stream).toBe(true);
      expect(JSON.stringify(system(request.body))).toContain('stream to the browser over MQTT');
      expect(JSON.stringify(request.body.messages)).toContain('Say something');
    } finally {
      await context.close();
      await stack.close();
      provider.server.close();
    }
  });
});
