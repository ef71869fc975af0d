import { describe, expect, it, onTestFinished } from 'vitest';
import { memo, Profiler } from 'react';
import { act, render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { UIMessage } from 'ai';
import { useCloudSignalChat } from '../../src/hooks/use-cloudsignal-chat.js';
import { ChatWindow } from '../../src/components/chat-window.js';
import { ChatWindowMessage } from '../../src/components/message.js';
import { FakeTransport, WAIT, assistantMessage, tick, userMessage } from './fake-transport.js';

function history(n: number): UIMessage[] {
  const out: UIMessage[] = [];
  for (let i = 0; i < n; i++) {
    out.push(i % 2 === 0 ? userMessage(`u${i}`, `Question number ${i}?`) : assistantMessage(`a${i}`, `Answer **${i}** with a [link](https://example.com/${i}) and \`code\`.`));
  }
  return out;
}

describe('a 1 000-message thread', () => {
  it('re-renders only the live row per token, and a token update is far cheaper than the mount', async () => {
    const transport = new FakeTransport();
    const rowRenders = new Map<string, number>();
    const CountingRow = memo(function CountingRow(props: { message: UIMessage; streaming: boolean; canRegenerate: boolean }) {
      rowRenders.set(props.message.id, (rowRenders.get(props.message.id) ?? 0) + 1);
      return <ChatWindowMessage {...props} />;
    });
    const messages = history(1000);
    // Stable, as the docs ask: then the settled block is skipped as a whole on each token.
    const renderRow = (m: UIMessage, s: { streaming: boolean; canRegenerate: boolean }) => <CountingRow message={m} {...s} />;
    const durations: Array<{ phase: string; ms: number }> = [];
    function App() {
      const chat = useCloudSignalChat({ id: 'c1', transport, messages });
      return (
        <ChatWindow.Root chat={chat} highlightCode={false}>
          <ChatWindow.Viewport>
            <ChatWindow.MessageList renderMessage={renderRow} />
          </ChatWindow.Viewport>
          <ChatWindow.Composer />
        </ChatWindow.Root>
      );
    }
    const user = userEvent.setup();
    render(
      <Profiler id="chat" onRender={(_id, phase, actual) => durations.push({ phase, ms: actual })}>
        <App />
      </Profiler>,
    );
    const mountMs = durations[0].ms;
    await user.type(screen.getByRole('textbox', { name: 'Message' }), 'next{Enter}');
    await act(async () => tick());
    await waitFor(() => expect(transport.turns).toHaveLength(1), WAIT);
    const turn = transport.lastTurn;
    const live = () => document.querySelector('[data-message-id="live"]');
    await act(async () => {
      turn.start('live').text('Hello');
      await tick(30);
    });
    await waitFor(() => expect(live()?.textContent).toContain('Hello'), WAIT);
    rowRenders.clear();
    const tokenTimes: number[] = [];
    for (let i = 0; i < 20; i++) {
      const from = durations.length;
      await act(async () => {
        turn.text(` token${i}`);
        await tick(20);
      });
      // The token is on screen: every commit it caused is counted below.
      await waitFor(() => expect(live()?.textContent).toContain(`token${i}`), WAIT);
      const commits = durations.slice(from);
      expect(commits.length).toBeGreaterThan(0);
      tokenTimes.push(commits.reduce((sum, c) => sum + c.ms, 0));
    }
    // Only the live row rendered during the stream.
    expect([...rowRenders.keys()]).toEqual(['live']);
    expect(rowRenders.get('live')).toBe(20);
    tokenTimes.sort((a, b) => a - b);
    const median = tokenTimes[Math.floor(tokenTimes.length / 2)];
    console.log(`[measure] 1000 messages: mount ${mountMs.toFixed(1)} ms, token update median ${median.toFixed(2)} ms (max ${tokenTimes.at(-1)!.toFixed(2)} ms)`);
    expect(median).toBeLessThan(mountMs / 10);
    // Mounting 1 000 rows in jsdom takes seconds, and longer on a shared CPU; nothing here is timed against a clock.
  }, 180_000);

  it('with virtualize, renders a window of rows instead of all 1 000', async () => {
    // jsdom has no layout: the scroller reports an 800 px tall box, as a browser would.
    const originalOffsetHeight = Object.getOwnPropertyDescriptor(HTMLElement.prototype, 'offsetHeight')!;
    Object.defineProperty(HTMLElement.prototype, 'clientHeight', {
      configurable: true,
      get(this: HTMLElement) {
        return this.classList.contains('csk-viewport-scroller') ? 800 : 0;
      },
    });
    // …and each row measures 100 px.
    Object.defineProperty(HTMLElement.prototype, 'offsetHeight', {
      configurable: true,
      get(this: HTMLElement) {
        return this.classList.contains('csk-virtual-row') ? 100 : 0;
      },
    });
    onTestFinished(() => {
      // clientHeight lives on Element.prototype: removing the override uncovers it again.
      delete (HTMLElement.prototype as { clientHeight?: number }).clientHeight;
      Object.defineProperty(HTMLElement.prototype, 'offsetHeight', originalOffsetHeight);
    });
    const transport = new FakeTransport();
    function App() {
      const chat = useCloudSignalChat({ id: 'c1', transport, messages: history(1000) });
      return <ChatWindow chat={chat} virtualize highlightCode={false} />;
    }
    const { container } = render(<App />);
    await act(async () => tick(20));
    await waitFor(() => {
      const rows = container.querySelectorAll('[data-slot="message"]');
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.length).toBeLessThan(60);
    }, WAIT);
    // The virtual list still reserves the whole height, so the scrollbar is honest.
    const spacer = container.querySelector<HTMLElement>('[data-slot="virtual-rows"]')!;
    expect(parseInt(spacer.style.height, 10)).toBeGreaterThanOrEqual(1000 * 90);
  });
});
