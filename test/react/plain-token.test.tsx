/**
 * `PlainTokenChatTransport` against a server written the way the seed guide writes one (raw tokens
 * on `ai/{session}/response`, `[done]`, status strings on `ai/{session}/status`), on the in-memory
 * broker: plain `useChat`, and `useCloudSignalChat` + `ChatWindow`, unchanged.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { useState } from 'react';
import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useChat } from '@ai-sdk/react';
import { useCloudSignalChat } from '../../src/hooks/use-cloudsignal-chat.js';
import { ChatWindow } from '../../src/components/chat-window.js';
import { createMockBroker, type MockBroker } from '../../src/testing/index.js';
import { PlainTokenChatTransport } from '../../src/transport/plain-token-transport.js';

const decoder = new TextDecoder();

/** A gate the test opens when it has seen what it waits for. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

/**
 * The seed's server in a few lines: on a request, `thinking`, `generating`, one publish per token,
 * `[done]`, `done`. It records `stop`s on `control` but, like the seed, keeps streaming.
 */
function startSeedServer(broker: MockBroker, tokens: (prompt: string) => string[], pauses: { beforeGenerating?: Promise<void>; afterFirstToken?: Promise<void> } = {}) {
  const client = broker.connect({ clientId: 'seed-server' });
  const stops: string[] = [];
  const prompts: string[] = [];
  let finished = gate();
  client.subscribe(['ai/+/request', 'ai/+/control'], { qos: 1 });
  client.on('message', async (topic, payload) => {
    const [, session, channel] = topic.split('/');
    if (channel === 'control') return void stops.push(`${session}:${decoder.decode(payload)}`);
    const { prompt } = JSON.parse(decoder.decode(payload)) as { prompt: string };
    prompts.push(prompt);
    const send = (suffix: string, text: string) => client.publish(`ai/${session}/${suffix}`, text, { qos: 0 });
    send('status', 'thinking');
    await pauses.beforeGenerating;
    send('status', 'generating');
    for (const [index, token] of tokens(prompt).entries()) {
      send('response', token);
      if (index === 0) await pauses.afterFirstToken;
    }
    send('response', '[done]');
    send('status', 'done');
    finished.open();
    finished = gate();
  });
  return { stops, prompts, finished: () => finished.opened };
}

let broker: MockBroker;
let transport: PlainTokenChatTransport;
// Updates come from the broker, not from the test's own actions: the test waits on the DOM instead of act().
const actEnvironment = globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean };
beforeAll(() => void (actEnvironment.IS_REACT_ACT_ENVIRONMENT = false));
afterAll(() => void (actEnvironment.IS_REACT_ACT_ENVIRONMENT = true));
afterEach(() => {
  transport?.close();
  broker?.close();
});

function setup() {
  broker = createMockBroker();
  transport = new PlainTokenChatTransport({ client: broker.connect({ clientId: 'browser-tab' }) });
}

describe('PlainTokenChatTransport with a seed-style server', () => {
  it('plain useChat shows the answer exactly; a stray status mid-turn is dropped and counted', async () => {
    setup();
    const strayCounted = gate();
    const server = startSeedServer(broker, (prompt) => ['You ', 'said: ', prompt, '.'], { beforeGenerating: strayCounted.opened });
    function Chat() {
      const { messages, sendMessage, status } = useChat({ id: 'session-1', transport });
      const [text, setText] = useState('');
      return (
        <div>
          <p data-testid="status">{status}</p>
          <ul>
            {messages.map((message) => (
              <li key={message.id} data-role={message.role}>
                {message.parts.map((part) => (part.type === 'text' ? part.text : '')).join('')}
              </li>
            ))}
          </ul>
          <input aria-label="Message" value={text} onChange={(event) => setText(event.target.value)} />
          <button onClick={() => void sendMessage({ text })}>Send</button>
        </div>
      );
    }
    const user = userEvent.setup();
    const { container } = render(<Chat />);
    await user.type(screen.getByRole('textbox', { name: 'Message' }), 'hello over MQTT');
    await user.click(screen.getByRole('button', { name: 'Send' }));
    await waitFor(() => expect(server.prompts).toEqual(['hello over MQTT']));
    const stray = broker.connect({ clientId: 'stray' });
    await new Promise((resolve) => stray.on('connect', resolve));
    stray.publish('ai/session-1/status', 'banana', { qos: 1 });
    await waitFor(() => expect(transport.stats.getSnapshot().dropped.malformed).toBe(1));
    strayCounted.open();
    await waitFor(() => expect(screen.getByTestId('status').textContent).toBe('ready'));
    expect([...container.querySelectorAll('li')].map((li) => [li.dataset.role, li.textContent])).toEqual([
      ['user', 'hello over MQTT'],
      ['assistant', 'You said: hello over MQTT.'],
    ]);
  });

  it('useCloudSignalChat + ChatWindow show thinking, generating and done from the status strings', async () => {
    setup();
    const thinkingSeen = gate();
    const generatingSeen = gate();
    startSeedServer(broker, () => ['Plain ', 'tokens ', 'work.'], { beforeGenerating: thinkingSeen.opened, afterFirstToken: generatingSeen.opened });
    function App() {
      const chat = useCloudSignalChat({ id: 'session-2', transport });
      return <ChatWindow chat={chat} highlightCode={false} />;
    }
    const user = userEvent.setup();
    const { container } = render(<App />);
    const status = () => container.querySelector('[data-slot="status-indicator"]')!.textContent;
    await waitFor(() => expect(status()).toBe('Connected'));
    await user.type(screen.getByRole('textbox', { name: 'Message' }), 'ping{Enter}');
    await waitFor(() => expect(status()).toBe('Connected · Thinking'));
    thinkingSeen.open();
    await waitFor(() => expect(status()).toBe('Connected · Generating'));
    generatingSeen.open();
    await waitFor(() => expect(status()).toBe('Connected · Done'));
    const log = screen.getByRole('log');
    await waitFor(() => expect(log.getAttribute('aria-busy')).toBe('false'));
    expect(log.textContent).toContain('Plain tokens work.');
  });

  it('stop publishes `stop` on the control topic; what the server still sends for that turn is not shown', async () => {
    setup();
    const stopped = gate();
    const server = startSeedServer(broker, () => ['first ', 'second ', 'third'], { afterFirstToken: stopped.opened });
    function App() {
      const chat = useCloudSignalChat({ id: 'session-3', transport });
      return <ChatWindow chat={chat} highlightCode={false} />;
    }
    const user = userEvent.setup();
    const { container } = render(<App />);
    const status = () => container.querySelector('[data-slot="status-indicator"]')!.textContent;
    await waitFor(() => expect(status()).toBe('Connected'));
    await user.type(screen.getByRole('textbox', { name: 'Message' }), 'go{Enter}');
    const log = screen.getByRole('log');
    await waitFor(() => expect(log.textContent).toContain('first'));
    await user.click(screen.getByRole('button', { name: 'Stop' }));
    await waitFor(() => expect(server.stops).toEqual(['session-3:stop']));
    const serverDone = server.finished();
    stopped.open();
    await serverDone;
    // The rest of the stopped turn reached the tab and was dropped: two tokens and its `[done]`.
    await waitFor(() => expect(transport.stats.getSnapshot().dropped.stale).toBe(3));
    expect(log.textContent).not.toContain('second');
    expect(status()).toBe('Connected · Stopped');
  });

  it('a connection drop mid-answer fails the turn with a clear error instead of showing a hole', async () => {
    setup();
    const held = gate();
    startSeedServer(broker, () => ['one ', 'two'], { afterFirstToken: held.opened });
    function App() {
      const chat = useCloudSignalChat({ id: 'session-4', transport });
      return <ChatWindow chat={chat} highlightCode={false} />;
    }
    const user = userEvent.setup();
    const { container } = render(<App />);
    await waitFor(() => expect(container.querySelector('[data-slot="status-indicator"]')!.textContent).toBe('Connected'));
    await user.type(screen.getByRole('textbox', { name: 'Message' }), 'go{Enter}');
    await waitFor(() => expect(screen.getByRole('log').textContent).toContain('one'));
    broker.dropClient('browser-tab');
    await waitFor(() => expect(container.textContent).toContain('cannot be recovered after a disconnect'));
    held.open();
  });
});
