import { describe, expect, it } from 'vitest';
import { render, screen } from '@testing-library/react';
import { useCloudSignalChat } from '../../src/hooks/use-cloudsignal-chat.js';
import { ChatWindow } from '../../src/components/chat-window.js';
import { StatusIndicator } from '../../src/components/status-indicator.js';
import { FakeTransport, assistantMessage, userMessage } from './fake-transport.js';
import { expectNoAxeViolations } from './axe.js';

describe('ChatWindow parts', () => {
  it('compose into a custom layout; Root can render as the caller’s element', async () => {
    const transport = new FakeTransport();
    function Custom() {
      const chat = useCloudSignalChat({ id: 'c1', transport, messages: [userMessage('u1', 'hi'), assistantMessage('a1', 'hello there')] });
      return (
        <ChatWindow.Root chat={chat} asChild labels={{ send: 'Go' }}>
          <section aria-label="Help chat" data-testid="custom-root">
            <StatusIndicator chat={chat} />
            <ChatWindow.Viewport>
              <ChatWindow.MessageList renderMessage={(m, s) => <ChatWindow.Message message={m} streaming={s.streaming} canRegenerate={s.canRegenerate} data-custom="" />} />
            </ChatWindow.Viewport>
            <ChatWindow.Composer />
          </section>
        </ChatWindow.Root>
      );
    }
    const { container } = render(<Custom />);
    const root = screen.getByTestId('custom-root');
    expect(root.tagName).toBe('SECTION');
    expect(root.getAttribute('data-slot')).toBe('chat-window');
    expect(root.classList.contains('csk-root')).toBe(true);
    // The announcer lives inside the caller's element.
    expect(root.querySelector('[data-slot="announcer"]')).not.toBeNull();
    expect(container.querySelectorAll('[data-custom]')).toHaveLength(2);
    expect(screen.getByRole('button', { name: 'Go' })).toBeTruthy();
    await expectNoAxeViolations(container);
  });

  it('throw a clear error outside Root', () => {
    const spy = console.error;
    console.error = () => {};
    try {
      expect(() => render(<ChatWindow.Composer />)).toThrow(/inside <ChatWindow.Root>/);
    } finally {
      console.error = spy;
    }
  });
});
