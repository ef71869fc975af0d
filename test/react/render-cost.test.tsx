/**
 * What a token costs React in the default `<ChatWindow>`: which message rows render while an answer
 * streams, counted per row (no timing). Rows are counted through the public `timestamp` option,
 * which every `ChatWindow.Message` calls once per render of its row.
 */
import { describe, expect, it } from 'vitest';
import { memo, Profiler } from 'react';
import { act, render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { UIMessage } from 'ai';
import { useCloudSignalChat } from '../../src/hooks/use-cloudsignal-chat.js';
import { ChatWindow } from '../../src/components/chat-window.js';
import { useChatWindowChat } from '../../src/components/chat-window-context.js';
import { FakeTransport, assistantMessage, tick, userMessage } from './fake-transport.js';

const HISTORY = 300;

function history(n: number): UIMessage[] {
  return Array.from({ length: n }, (_, i) =>
    i % 2 === 0 ? userMessage(`u${i}`, `Question ${i}?`) : assistantMessage(`a${i}`, `Answer **${i}** with \`code\` and a [link](https://example.com/${i}).`),
  );
}

describe('render cost of a token in the default ChatWindow', () => {
  it('renders only the live row while an answer streams, once per token', async () => {
    const rowRenders = new Map<string, number>();
    // Module-stable, as the docs ask of row options: it is called once per row render.
    const countRow = (message: UIMessage) => {
      rowRenders.set(message.id, (rowRenders.get(message.id) ?? 0) + 1);
      return undefined;
    };
    const transport = new FakeTransport();
    const messages = history(HISTORY);
    let commits = 0;
    function App() {
      const chat = useCloudSignalChat({ id: 'c1', transport, messages });
      return <ChatWindow chat={chat} title="Support" timestamp={countRow} highlightCode={false} />;
    }
    render(
      <Profiler id="chat" onRender={() => commits++}>
        <App />
      </Profiler>,
    );
    // Every row rendered once to mount.
    expect(rowRenders.size).toBe(HISTORY);

    const user = userEvent.setup();
    await user.type(screen.getByRole('textbox', { name: 'Message' }), 'next{Enter}');
    await act(async () => tick());
    const turn = transport.lastTurn;
    await act(async () => {
      turn.start('live').text('Hello');
      await tick(30);
    });
    await waitFor(() => expect(screen.getByText('Hello')).toBeTruthy(), { timeout: 10_000 });

    rowRenders.clear();
    const tokens = 20;
    for (let i = 0; i < tokens; i++) {
      const before = commits;
      await act(async () => {
        turn.text(` word${i}`);
        await tick(20);
      });
      // The token reached the screen through a commit of its own…
      await waitFor(() => expect(document.querySelector('[data-message-id="live"]')?.textContent).toContain(`word${i}`), { timeout: 10_000 });
      expect(commits).toBeGreaterThan(before);
    }
    // …and no settled row, not even the previous answer or the new prompt, rendered for it.
    expect([...rowRenders.keys()]).toEqual(['live']);
    expect(rowRenders.get('live')).toBe(tokens);
  }, 120_000);

  it('keeps memoized custom parts current: they read the chat from a store, not from their parent', async () => {
    const transport = new FakeTransport();
    // Memoized with no props: a new chat reaches it only through its own subscription.
    const MessageCount = memo(function MessageCount() {
      const chat = useChatWindowChat('MessageCount');
      return <output aria-label="Message count">{chat.messages.length}</output>;
    });
    const count = <MessageCount />;
    function App() {
      const chat = useCloudSignalChat({ id: 'c1', transport, messages: history(2) });
      return (
        <ChatWindow.Root chat={chat} highlightCode={false}>
          {count}
          <ChatWindow.Composer />
        </ChatWindow.Root>
      );
    }
    render(<App />);
    expect(screen.getByRole('status', { name: 'Message count' }).textContent).toBe('2');
    const user = userEvent.setup();
    await user.type(screen.getByRole('textbox', { name: 'Message' }), 'one more{Enter}');
    await act(async () => tick());
    await waitFor(() => expect(screen.getByRole('status', { name: 'Message count' }).textContent).toBe('3'), { timeout: 10_000 });
    await act(async () => {
      transport.lastTurn.start('a9').text('Sure.').finish();
      await tick(30);
    });
    await waitFor(() => expect(screen.getByRole('status', { name: 'Message count' }).textContent).toBe('4'), { timeout: 10_000 });
  });

  it('parses a long streaming paragraph in runs, and shows it settled as one paragraph', async () => {
    const transport = new FakeTransport();
    function App() {
      const chat = useCloudSignalChat({ id: 'c1', transport, messages: history(2) });
      return <ChatWindow chat={chat} title="Support" highlightCode={false} />;
    }
    render(<App />);
    const user = userEvent.setup();
    await user.type(screen.getByRole('textbox', { name: 'Message' }), 'a long one{Enter}');
    await act(async () => tick());
    const turn = transport.lastTurn;
    const sentences = Array.from({ length: 60 }, (_, i) => `Sentence ${i} is about **streaming** tokens.`);
    await act(async () => {
      turn.start('live').text('Intro paragraph.\n\n');
      await tick(30);
    });
    for (const sentence of sentences) {
      await act(async () => {
        turn.text(`${sentence} `);
        await tick(5);
      });
    }
    const live = () => document.querySelector('[data-message-id="live"]')!;
    // While streaming: the paragraph is parsed in runs, every word and every bold still shown
    // (the last token may still be a throttled render away on a busy machine: wait for it).
    await waitFor(() => expect(live().querySelectorAll('strong')).toHaveLength(60), { timeout: 10_000 });
    expect(live().querySelector('[data-slot="markdown-runs"]')).not.toBeNull();
    for (const sentence of sentences) expect(live().textContent).toContain(sentence.replace(/\*\*/g, ''));
    await act(async () => {
      turn.finish();
      await tick(30);
    });
    // Settled: one Streamdown render, one paragraph after the intro, no runs.
    await waitFor(() => expect(live().querySelector('[data-slot="markdown-runs"]')).toBeNull(), { timeout: 10_000 });
    expect(live().querySelectorAll('[data-slot="markdown"] p')).toHaveLength(2);
    expect(live().querySelectorAll('strong')).toHaveLength(60);
  });
});
