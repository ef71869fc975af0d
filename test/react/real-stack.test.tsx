import { afterEach, describe, expect, it } from 'vitest';
import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useCloudSignalChat } from '../../src/hooks/use-cloudsignal-chat.js';
import { ChatWindow } from '../../src/components/chat-window.js';
import { createMockChatEnv, type MockChatEnv } from '../../stories/support/mock-chat.js';
import { expectNoAxeViolations } from './axe.js';
import { withoutActEnvironment } from './live-stack.js';

/**
 * The components on the real pieces: CloudSignalChatTransport, the chat worker and the in-memory
 * mock broker (the same world the stories run in, here under jsdom).
 */
let env: MockChatEnv | null = null;
withoutActEnvironment();
afterEach(async () => {
  await env?.dispose();
  env = null;
});

function App({ device = 0 }: { device?: number }) {
  const chat = useCloudSignalChat({ id: 'real-stack', transport: env!.transports[device] });
  return <ChatWindow chat={chat} highlightCode={false} />;
}

describe('ChatWindow on the real transport, worker and mock broker', () => {
  it('streams an answer end to end', async () => {
    env = await createMockChatEnv({ tokenDelayMs: 2, answer: (q) => `Echo: **${q}**. That is all.` });
    const user = userEvent.setup();
    const { container } = render(<App />);
    await waitFor(() => expect(container.querySelector('[data-slot="chat-window"]')!.getAttribute('data-connection')).toBe('connected'));
    await user.type(screen.getByRole('textbox', { name: 'Message' }), 'ping{Enter}');
    const log = screen.getByRole('log');
    await waitFor(() => expect(log.textContent).toContain('That is all.'), { timeout: 10_000 });
    await waitFor(() => expect(log.getAttribute('aria-busy')).toBe('false'));
    expect(within(log).getByText('ping', { selector: 'strong' })).toBeTruthy();
    expect(container.querySelector('[data-slot="status-indicator"]')!.textContent).toBe('Connected · Done');
    await expectNoAxeViolations(container);
  });

  it('a network drop mid-answer resumes with every token once', async () => {
    env = await createMockChatEnv({ tokenDelayMs: 15, reconnectPeriod: 200, answer: () => Array.from({ length: 60 }, (_, i) => `t${i}`).join(' ') + ' That is all.' });
    const user = userEvent.setup();
    const { container } = render(<App />);
    await waitFor(() => expect(container.querySelector('[data-slot="chat-window"]')!.getAttribute('data-connection')).toBe('connected'));
    await user.type(screen.getByRole('textbox', { name: 'Message' }), 'go{Enter}');
    const log = screen.getByRole('log');
    await waitFor(() => expect(log.textContent).toContain('t10'), { timeout: 10_000 });
    env.dropDevice(0);
    await waitFor(() => expect(container.querySelector('[data-slot="reconnect-banner"]')!.getAttribute('data-state')).toBe('reconnecting'));
    expect(container.querySelector('[data-slot="error-row"]')).toBeNull();
    await waitFor(() => expect(log.textContent).toContain('That is all.'), { timeout: 15_000 });
    const words = container.querySelector('[data-slot="message"][data-role="assistant"] [data-slot="markdown"]')!.textContent!.trim().split(/\s+/);
    expect(words).toEqual([...Array.from({ length: 60 }, (_, i) => `t${i}`), 'That', 'is', 'all.']);
    expect(container.querySelectorAll('[data-slot="message"][data-role="assistant"]')).toHaveLength(1);
  });

  it('a second device sees the turn started on the first', async () => {
    env = await createMockChatEnv({ devices: 2, tokenDelayMs: 5, answer: () => 'Shared answer. That is all.' });
    const user = userEvent.setup();
    const first = render(<App device={0} />);
    const second = render(<App device={1} />);
    await waitFor(() => expect(second.container.querySelector('[data-slot="chat-window"]')!.getAttribute('data-connection')).toBe('connected'));
    await waitFor(() => expect(first.container.querySelector('[data-slot="chat-window"]')!.getAttribute('data-connection')).toBe('connected'));
    await user.type(within(first.container).getByRole('textbox', { name: 'Message' }), 'from laptop{Enter}');
    const otherLog = within(second.container).getByRole('log');
    await waitFor(() => expect(otherLog.textContent).toContain('from laptop'), { timeout: 10_000 });
    await waitFor(() => expect(otherLog.textContent).toContain('Shared answer. That is all.'), { timeout: 10_000 });
  });
});
