/**
 * The chat window's safety and truthfulness: Stop never sends the draft (by mouse, Enter, Space,
 * and when the answer ends under the press), focus is never lost, and every row says how its
 * answer stands (thinking, streaming, paused, stopped, interrupted) with only the actions that fit.
 */
import { describe, expect, it } from 'vitest';
import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { UIMessage } from 'ai';
import { StreamTimeoutError, createNetworkError } from '../../src/transport/errors.js';
import { useCloudSignalChat } from '../../src/hooks/use-cloudsignal-chat.js';
import { ChatWindow } from '../../src/components/chat-window.js';
import { FakeTransport, WAIT, assistantMessage, tick, userMessage } from './fake-transport.js';
import { createHarness } from './harness.js';
import { expectNoAxeViolations } from './axe.js';

type User = ReturnType<typeof userEvent.setup>;

const input = () => screen.getByRole('textbox', { name: 'Message' }) as HTMLTextAreaElement;
const row = (container: HTMLElement, id: string) => container.querySelector<HTMLElement>(`[data-slot="message"][data-message-id="${id}"]`);

async function startTurn(h: ReturnType<typeof createHarness>, user: User, text = 'Hello') {
  const before = h.transport.turns.length;
  await user.type(input(), `${text}{Enter}`);
  await act(async () => tick());
  await waitFor(() => expect(h.transport.turns).toHaveLength(before + 1), WAIT);
  return h.transport.lastTurn;
}

/** Waits until the row `id` shows `text`. */
async function shown(container: HTMLElement, id: string, text: string) {
  await waitFor(() => expect(row(container, id)?.textContent).toContain(text), WAIT);
}

/** Waits until the answer is over and this turn's reading was cancelled: Send is back. */
async function stopped(turn: { cancelled: boolean }) {
  await waitFor(() => expect(turn.cancelled).toBe(true), WAIT);
  await screen.findByRole('button', { name: 'Send' }, WAIT);
}

/** A turn that is streaming text, and a follow-up typed but not sent. */
async function streamingWithDraft(h: ReturnType<typeof createHarness>, user: User) {
  const turn = await startTurn(h, user);
  await act(async () => {
    turn.start('a1').text('Working on it');
    await tick(30);
  });
  await shown(document.body, 'a1', 'Working on it');
  await user.type(input(), 'my draft follow-up');
  return turn;
}

describe('Stop never sends the draft (D1)', () => {
  it('by mouse', async () => {
    const user = userEvent.setup();
    const h = createHarness();
    render(<h.App />);
    const turn = await streamingWithDraft(h, user);
    await user.click(screen.getByRole('button', { name: 'Stop' }));
    await act(async () => tick(10));
    await stopped(turn);
    expect(turn.cancelled).toBe(true);
    expect(h.transport.turns).toHaveLength(1);
    expect(input().value).toBe('my draft follow-up');
    await waitFor(() => expect(document.activeElement).toBe(input()), WAIT);
  });

  it('by Enter and by Space on the focused Stop button', async () => {
    for (const key of ['{Enter}', ' ']) {
      const user = userEvent.setup();
      const h = createHarness();
      const { unmount } = render(<h.App />);
      const turn = await streamingWithDraft(h, user);
      screen.getByRole('button', { name: 'Stop' }).focus();
      await user.keyboard(key);
      await act(async () => tick(10));
      await stopped(turn);
      expect(turn.cancelled).toBe(true);
      expect(h.transport.turns).toHaveLength(1);
      expect(input().value).toBe('my draft follow-up');
      unmount();
    }
  });

  it('Stop and Send are different buttons, and Stop is never a submit button', async () => {
    const user = userEvent.setup();
    const h = createHarness();
    render(<h.App />);
    await streamingWithDraft(h, user);
    const stop = screen.getByRole('button', { name: 'Stop' });
    expect(stop.getAttribute('type')).toBe('button');
    await act(async () => {
      h.transport.lastTurn.finish();
      await tick(30);
    });
    const send = await screen.findByRole('button', { name: 'Send' }, WAIT);
    expect(send).not.toBe(stop);
    expect(stop.isConnected).toBe(false);
  });

  it('race: the answer ends while the pointer is down on Stop; the release over Send does not send', async () => {
    const user = userEvent.setup();
    const h = createHarness();
    render(<h.App />);
    const turn = await streamingWithDraft(h, user);
    const stop = screen.getByRole('button', { name: 'Stop' });
    fireEvent.pointerDown(stop);
    fireEvent.mouseDown(stop);
    await act(async () => {
      turn.text(' and done.').finish();
      await tick(30);
    });
    // Send now sits where Stop was; the browser may deliver the release and click to it.
    const send = await screen.findByRole('button', { name: 'Send' }, WAIT);
    expect(send).toHaveProperty('disabled', false);
    fireEvent.pointerUp(send);
    fireEvent.mouseUp(send);
    fireEvent.click(send, { detail: 1 });
    await act(async () => tick(10));
    expect(h.transport.turns).toHaveLength(1);
    expect(input().value).toBe('my draft follow-up');
    // A click that really begins on Send still sends (and only this one: two turns in all).
    await user.click(send);
    await act(async () => tick());
    await waitFor(() => expect(h.transport.turns).toHaveLength(2), WAIT);
  });

  it('race: the answer ends between Space down and up on Stop; focus goes to the input and nothing is sent (D9)', async () => {
    const user = userEvent.setup();
    const h = createHarness();
    render(<h.App />);
    const turn = await streamingWithDraft(h, user);
    const stop = screen.getByRole('button', { name: 'Stop' });
    stop.focus();
    fireEvent.keyDown(stop, { key: ' ', code: 'Space' });
    await act(async () => {
      turn.text(' finished.').finish();
      await tick(30);
    });
    // Stop went away while focused: focus is in the input, not lost to <body>.
    await screen.findByRole('button', { name: 'Send' }, WAIT);
    await waitFor(() => expect(document.activeElement).toBe(input()), WAIT);
    fireEvent.keyUp(document.activeElement!, { key: ' ', code: 'Space' });
    await act(async () => tick(10));
    expect(h.transport.turns).toHaveLength(1);
    expect(input().value).toBe('my draft follow-up');
  });
});

describe('focus and hints', () => {
  it('Regenerate by keyboard leaves focus in the input (D9)', async () => {
    const user = userEvent.setup();
    const h = createHarness([userMessage('u1', 'q'), assistantMessage('a1', 'The answer')]);
    const { container } = render(<h.App />);
    within(row(container, 'a1')!).getByRole('button', { name: 'Regenerate' }).focus();
    await user.keyboard('{Enter}');
    await act(async () => tick());
    await waitFor(() => expect(h.transport.turns).toHaveLength(1), WAIT);
    expect(h.transport.lastTurn.options.trigger).toBe('regenerate-message');
    expect(document.activeElement).toBe(input());
  });

  it('Enter while an answer streams says why nothing was sent, politely (D15)', async () => {
    const user = userEvent.setup();
    const h = createHarness();
    const { container } = render(<h.App />);
    const turn = await streamingWithDraft(h, user);
    const hint = container.querySelector('[data-slot="composer-busy-hint"]')!;
    expect(hint.getAttribute('role')).toBe('status');
    expect(hint.textContent).toBe('');
    await user.keyboard('{Enter}');
    expect(h.transport.turns).toHaveLength(1);
    expect(hint.textContent).toBe('Wait for the answer to finish, or press Escape to stop it.');
    expect(input().value).toBe('my draft follow-up');
    await act(async () => {
      turn.finish();
      await tick(30);
    });
    await waitFor(() => expect(hint.textContent).toBe(''), WAIT);
  });
});

describe('row states', () => {
  it('a thinking row between Send and the first token, then the streaming row (D8)', async () => {
    const user = userEvent.setup();
    const h = createHarness();
    const { container } = render(<h.App />);
    const turn = await startTurn(h, user);
    await waitFor(() => expect(container.querySelector('[data-slot="thinking-row"]')).not.toBeNull(), WAIT);
    const thinking = container.querySelector('[data-slot="thinking-row"]')!;
    expect(thinking.textContent).toContain('Assistant');
    expect(thinking.textContent).toContain('Thinking…');
    expect(screen.queryByText(/No messages yet/)).toBeNull();
    await act(async () => {
      turn.start('a1');
      await tick(30);
    });
    // The answer row exists but has no text yet: it keeps saying it is thinking.
    await waitFor(() => expect(row(container, 'a1')).not.toBeNull(), WAIT);
    expect(container.querySelector('[data-slot="thinking-row"]')).toBeNull();
    expect(row(container, 'a1')!.textContent).toContain('Thinking…');
    await act(async () => {
      turn.text('First words');
      await tick(30);
    });
    await shown(container, 'a1', 'First words');
    expect(row(container, 'a1')!.getAttribute('data-state')).toBe('streaming');
    expect(row(container, 'a1')!.textContent).not.toContain('Thinking…');
    await expectNoAxeViolations(container);
  });

  it('a paused answer (connection dropped mid-answer) offers no Copy or Regenerate (D6)', async () => {
    const user = userEvent.setup();
    const h = createHarness();
    const { container } = render(<h.App />);
    const turn = await startTurn(h, user);
    await act(async () => {
      turn.start('a1').text('Half an');
      await tick(30);
    });
    await shown(container, 'a1', 'Half an');
    await act(async () => {
      h.transport.setConnection({ status: 'reconnecting', attempt: 1, nextRetryAt: Date.now() + 2000 });
      turn.fail(createNetworkError('socket closed'));
      await tick(10);
    });
    await waitFor(() => expect(row(container, 'a1')!.getAttribute('data-state')).toBe('paused'), WAIT);
    const answer = row(container, 'a1')!;
    expect(answer.getAttribute('data-state')).toBe('paused');
    expect(answer.textContent).toContain('Paused while reconnecting…');
    expect(within(answer).queryByRole('button', { name: 'Copy' })).toBeNull();
    expect(within(answer).queryByRole('button', { name: 'Regenerate' })).toBeNull();
    await expectNoAxeViolations(container);
  });

  it('a stopped answer is marked Stopped and can be copied or regenerated (D7)', async () => {
    const user = userEvent.setup();
    const h = createHarness();
    const { container } = render(<h.App />);
    const turn = await startTurn(h, user);
    await act(async () => {
      turn.start('a1').text('Partial answer');
      await tick(30);
    });
    await shown(container, 'a1', 'Partial answer');
    await user.click(screen.getByRole('button', { name: 'Stop' }));
    await act(async () => tick(10));
    await waitFor(() => expect(row(container, 'a1')!.getAttribute('data-state')).toBe('stopped'), WAIT);
    const answer = row(container, 'a1')!;
    expect(answer.getAttribute('data-state')).toBe('stopped');
    expect(within(answer).getByText('Stopped')).toBeTruthy();
    expect(within(answer).getByRole('button', { name: 'Copy' })).toBeTruthy();
    expect(within(answer).getByRole('button', { name: 'Regenerate' })).toBeTruthy();
    await expectNoAxeViolations(container);
  });

  it('stopping before the first token leaves no empty Assistant row, only the mark (D7)', async () => {
    const user = userEvent.setup();
    const h = createHarness();
    const { container } = render(<h.App />);
    const turn = await startTurn(h, user);
    await act(async () => {
      turn.start('a1');
      await tick(30);
    });
    await waitFor(() => expect(row(container, 'a1')).not.toBeNull(), WAIT);
    await user.click(screen.getByRole('button', { name: 'Stop' }));
    await act(async () => tick(10));
    await waitFor(() => expect(row(container, 'a1')!.textContent).toContain('Stopped before the answer started.'), WAIT);
    const answer = row(container, 'a1')!;
    expect(answer.hasAttribute('data-empty')).toBe(true);
    expect(answer.textContent).toContain('Stopped before the answer started.');
    expect(within(answer).queryByRole('button', { name: 'Copy' })).toBeNull();
    // No visible "Assistant" label over nothing.
    expect(answer.querySelector('.csk-message-meta')).toBeNull();
    await expectNoAxeViolations(container);
  });

  it('stopping before the answer even began marks the prompt', async () => {
    const user = userEvent.setup();
    const h = createHarness();
    const { container } = render(<h.App />);
    await startTurn(h, user, 'Never mind');
    await user.click(screen.getByRole('button', { name: 'Stop' }));
    await act(async () => tick(10));
    const userRow = () => container.querySelector<HTMLElement>('[data-slot="message"][data-role="user"]');
    await waitFor(() => expect(userRow()?.getAttribute('data-state')).toBe('stopped'), WAIT);
    expect(container.querySelectorAll('[data-slot="message"][data-role="assistant"]')).toHaveLength(0);
    const prompt = userRow()!;
    expect(prompt.getAttribute('data-state')).toBe('stopped');
    expect(prompt.textContent).toContain('Stopped before the answer started.');
  });

  it('a failed turn is marked Interrupted and offers one Retry, not Regenerate too (D7)', async () => {
    const user = userEvent.setup();
    const h = createHarness();
    const { container } = render(<h.App />);
    const turn = await startTurn(h, user);
    await act(async () => {
      turn.start('a1').text('Partly');
      await tick(30);
    });
    await shown(container, 'a1', 'Partly');
    await act(async () => {
      turn.fail(new StreamTimeoutError(60_000));
      await tick(10);
    });
    await waitFor(() => expect(row(container, 'a1')!.getAttribute('data-state')).toBe('failed'), WAIT);
    const answer = row(container, 'a1')!;
    expect(answer.getAttribute('data-state')).toBe('failed');
    expect(answer.textContent).toContain('Interrupted');
    expect(screen.queryByRole('button', { name: 'Regenerate' })).toBeNull();
    expect(screen.getAllByRole('button', { name: 'Retry' })).toHaveLength(1);
    await expectNoAxeViolations(container);
  });
});

describe('two windows on one page', () => {
  it('have distinct region names and no banner landmark; axe passes', async () => {
    const t1 = new FakeTransport();
    const t2 = new FakeTransport();
    function Two() {
      const a = useCloudSignalChat({ id: 'c1', transport: t1, messages: [userMessage('u1', 'hi'), assistantMessage('a1', 'hello')] });
      const b = useCloudSignalChat({ id: 'c2', transport: t2 });
      return (
        <main>
          <ChatWindow chat={a} title="Support" />
          <ChatWindow chat={b} title="Sales" />
        </main>
      );
    }
    const { container } = render(<Two />);
    expect(screen.getByRole('region', { name: 'Conversation: Support' })).toBeTruthy();
    expect(screen.getByRole('region', { name: 'Conversation: Sales' })).toBeTruthy();
    expect(container.querySelector('header')).toBeNull();
    await expectNoAxeViolations(container);
  });
});

describe('URLs in message parts (F14)', () => {
  const hostile: UIMessage = {
    id: 'a1',
    role: 'assistant',
    parts: [
      { type: 'file', mediaType: 'application/pdf', filename: 'report.pdf', url: 'javascript:alert(1)' },
      { type: 'file', mediaType: 'text/html', filename: 'page.html', url: ' JaVaScRiPt:alert(2)' },
      { type: 'file', mediaType: 'image/png', filename: 'pic.png', url: 'java\tscript:alert(3)' },
      { type: 'file', mediaType: 'text/html', filename: 'inline.html', url: 'data:text/html,<script>alert(4)</script>' },
      { type: 'source-url', sourceId: 's1', url: 'javascript:alert(5)', title: 'Evil source' },
      { type: 'source-url', sourceId: 's2', url: 'vbscript:msgbox(6)', title: 'Old evil' },
      { type: 'source-url', sourceId: 's3', url: 'https://example.com/doc', title: 'Good source' },
      { type: 'file', mediaType: 'image/png', filename: 'ok.png', url: 'data:image/png;base64,iVBORw0KGgo=' },
      { type: 'text', text: 'Done.', state: 'done' },
    ],
  };

  it('only http(s), mailto, blob and image data URLs become live; the rest render as text', () => {
    const h = createHarness([userMessage('u1', 'files?'), hostile]);
    const { container } = render(<h.App />);
    const links = [...container.querySelectorAll('a')].map((a) => a.getAttribute('href'));
    expect(links).toEqual(['https://example.com/doc']);
    const images = [...container.querySelectorAll('img')].map((img) => img.getAttribute('src'));
    expect(images).toEqual(['data:image/png;base64,iVBORw0KGgo=']);
    for (const text of ['report.pdf', 'page.html', 'inline.html', 'Evil source', 'Old evil']) {
      expect(screen.getByText(text).tagName).toBe('SPAN');
    }
    expect(container.innerHTML).not.toMatch(/(href|src)="\s*java/i);
  });
});
