import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { UIMessage } from 'ai';
import { WAIT, assistantMessage, tick, userMessage } from './fake-transport.js';
import { createHarness } from './harness.js';
import { expectNoAxeViolations } from './axe.js';

const ROW = 100;
const VIEW = 400;

/**
 * jsdom has no layout: give the scroller a height, make its content height follow the number
 * of rendered rows (plus the length of the live text), and keep scrollTop clamped like a browser.
 */
function stubGeometry(container: HTMLElement) {
  const scroller = container.querySelector<HTMLElement>('.csk-viewport-scroller')!;
  let top = 0;
  const contentHeight = () => {
    const rows = scroller.querySelectorAll('[data-slot="message"]');
    let height = 0;
    rows.forEach((row) => (height += ROW + Math.floor((row.textContent ?? '').length / 40) * 20));
    return height;
  };
  Object.defineProperty(scroller, 'clientHeight', { configurable: true, get: () => VIEW });
  Object.defineProperty(scroller, 'scrollHeight', { configurable: true, get: () => Math.max(VIEW, contentHeight()) });
  Object.defineProperty(scroller, 'scrollTop', {
    configurable: true,
    get: () => top,
    set: (value: number) => {
      top = Math.max(0, Math.min(value, Math.max(VIEW, contentHeight()) - VIEW));
    },
  });
  const scrollTo = (value: number) => {
    scroller.scrollTop = value;
    fireEvent.scroll(scroller);
  };
  const distanceFromBottom = () => scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight;
  return { scroller, scrollTo, distanceFromBottom };
}

function history(n: number): UIMessage[] {
  const out: UIMessage[] = [];
  for (let i = 0; i < n; i++) out.push(i % 2 === 0 ? userMessage(`u${i}`, `question ${i}`) : assistantMessage(`a${i}`, `answer ${i}`));
  return out;
}

async function streamSome(h: ReturnType<typeof createHarness>, user: ReturnType<typeof userEvent.setup>) {
  await user.type(screen.getByRole('textbox', { name: 'Message' }), 'go{Enter}');
  await act(async () => tick());
  await waitFor(() => expect(h.transport.turns).toHaveLength(1), WAIT);
  const turn = h.transport.lastTurn;
  await act(async () => {
    turn.start('live').text('First words of a long answer. ');
    await tick(30);
  });
  await waitFor(() => expect(liveText()).toContain('First words of a long answer.'), WAIT);
  return turn;
}

const moreText = 'More text that keeps arriving below the fold while the user reads back. ';
const liveText = () => document.querySelector('[data-message-id="live"]')?.textContent ?? '';
/** How many times `moreText` shows in the live answer. */
const moreShown = () => liveText().split(moreText.trim()).length - 1;

/** A chat window with 10 messages of history, stubbed geometry, and an answer streaming. */
async function streamingWindow() {
  const user = userEvent.setup();
  const h = createHarness(history(10));
  const { container } = render(<h.App />);
  const geo = stubGeometry(container);
  const turn = await streamSome(h, user);
  return { user, h, container, geo, turn };
}

/** More streamed text arrives and the window has had time to react. */
async function moreArrives(turn: Awaited<ReturnType<typeof streamSome>>): Promise<void> {
  const before = moreShown();
  await act(async () => {
    turn.text(moreText);
    await tick(20);
  });
  // The window has reacted once the new text is on screen (it follows or counts before paint).
  await waitFor(() => expect(moreShown()).toBe(before + 1), WAIT);
}

describe('stick to bottom', () => {
  it('follows the stream while the user is at the bottom', async () => {
    const { user, h, container, geo, turn } = await streamingWindow();
    for (let i = 0; i < 5; i++) {
      await moreArrives(turn);
      expect(geo.distanceFromBottom()).toBe(0);
    }
    expect(screen.queryByRole('button', { name: /Jump to latest/ })).toBeNull();
  });

  it('a wheel up stops following at once, and arriving text is counted as unread', async () => {
    const { user, h, container, geo, turn } = await streamingWindow();
    const before = geo.scroller.scrollTop;
    fireEvent.wheel(geo.scroller, { deltaY: -120 });
    await moreArrives(turn);
    // The view did not move: the user keeps their place.
    expect(geo.scroller.scrollTop).toBe(before);
    expect(geo.distanceFromBottom()).toBeGreaterThan(0);
    const jump = screen.getByRole('button', { name: 'Jump to latest 1 new message' });
    expect(jump.getAttribute('data-state')).toBe('unread');
    await expectNoAxeViolations(container);
  });

  it('scrolling up (scrollbar, keys) releases; a new message adds to the unread count', async () => {
    const { user, h, container, geo, turn } = await streamingWindow();
    act(() => geo.scrollTo(geo.scroller.scrollTop - 300));
    expect(screen.getByRole('button', { name: 'Jump to latest' })).toBeTruthy(); // nothing new yet
    await act(async () => {
      turn.text(moreText).finish();
      await tick(30);
    });
    await waitFor(() => expect(h.chat().status).toBe('ready'), WAIT);
    // Another device's turn lands too: a new user message and a new answer.
    h.transport.hasLiveTurn = true;
    await act(async () => {
      h.transport.activity('c1').update({ requestId: 'r2', turnState: 'generating', startedHere: false, userMessage: userMessage('u-phone', 'from phone'), messageId: 'a-phone' });
      await tick(20);
    });
    await waitFor(() => expect(h.transport.lastTurn.kind).toBe('reconnect'), WAIT);
    await act(async () => {
      h.transport.lastTurn.start('a-phone').text('reply').finish();
      await tick(30);
    });
    expect(await screen.findByRole('button', { name: 'Jump to latest 3 new messages' }, WAIT)).toBeTruthy();
  });

  it('switching to an earlier version while scrolled up is not news: no unread count', async () => {
    const user = userEvent.setup();
    const h = createHarness(history(10));
    const { container } = render(<h.App />);
    const geo = stubGeometry(container);
    await user.click(within(container.querySelector<HTMLElement>('[data-message-id="a9"]')!).getByRole('button', { name: 'Regenerate' }));
    await waitFor(() => expect(h.transport.turns).toHaveLength(1), WAIT);
    await act(async () => {
      h.transport.lastTurn.start('a9b').text('another answer').finish();
      await tick(30);
    });
    await waitFor(() => expect(h.chat().status).toBe('ready'), WAIT);
    const pager = await within(container.querySelector<HTMLElement>('[data-message-id="a9b"]')!).findByRole('group', { name: 'Version 2 of 2' }, WAIT);
    fireEvent.wheel(geo.scroller, { deltaY: -120 });
    await user.click(within(pager).getByRole('button', { name: 'Previous version' }));
    await waitFor(() => expect(container.querySelector('[data-message-id="a9"]')?.textContent).toContain('answer 9'), WAIT);
    // Released (the pill offers the way back), but nothing counts as new.
    expect(screen.getByRole('button', { name: 'Jump to latest' })).toBeTruthy();
    expect(container.querySelector('[data-slot="unread-count"]')).toBeNull();
  });

  it('an up key in the transcript releases too', async () => {
    const { user, h, container, geo, turn } = await streamingWindow();
    geo.scroller.focus();
    fireEvent.keyDown(geo.scroller, { key: 'PageUp' });
    await moreArrives(turn);
    expect(geo.distanceFromBottom()).toBeGreaterThan(0);
    expect(screen.getByRole('button', { name: /Jump to latest/ })).toBeTruthy();
  });

  it('Jump to latest scrolls down, clears the count, follows again and focuses the input', async () => {
    const { user, h, container, geo, turn } = await streamingWindow();
    fireEvent.wheel(geo.scroller, { deltaY: -50 });
    act(() => geo.scrollTo(geo.scroller.scrollTop - 200));
    await moreArrives(turn);
    await user.click(screen.getByRole('button', { name: /Jump to latest 1 new message/ }));
    expect(geo.distanceFromBottom()).toBe(0);
    expect(screen.queryByRole('button', { name: /Jump to latest/ })).toBeNull();
    expect(document.activeElement).toBe(screen.getByRole('textbox', { name: 'Message' }));
    await moreArrives(turn);
    expect(geo.distanceFromBottom()).toBe(0);
  });

  it('scrolling back to the bottom by hand re-attaches and clears unread', async () => {
    const { user, h, container, geo, turn } = await streamingWindow();
    fireEvent.wheel(geo.scroller, { deltaY: -50 });
    act(() => geo.scrollTo(0));
    await moreArrives(turn);
    expect(screen.getByRole('button', { name: /1 new message/ })).toBeTruthy();
    act(() => geo.scrollTo(geo.scroller.scrollHeight));
    expect(screen.queryByRole('button', { name: /Jump to latest/ })).toBeNull();
    await moreArrives(turn);
    expect(geo.distanceFromBottom()).toBe(0);
  });

  it('sending a message follows again even if the user had scrolled up', async () => {
    const user = userEvent.setup();
    const h = createHarness(history(10));
    const { container } = render(<h.App />);
    const geo = stubGeometry(container);
    act(() => geo.scrollTo(geo.scroller.scrollHeight));
    fireEvent.wheel(geo.scroller, { deltaY: -50 });
    act(() => geo.scrollTo(0));
    expect(screen.getByRole('button', { name: /Jump to latest/ })).toBeTruthy();
    await user.type(screen.getByRole('textbox', { name: 'Message' }), 'new question{Enter}');
    await act(async () => tick(20));
    await screen.findByText('new question', undefined, WAIT);
    await waitFor(() => {
      expect(geo.distanceFromBottom()).toBe(0);
      expect(screen.queryByRole('button', { name: /Jump to latest/ })).toBeNull();
    }, WAIT);
  });

  it('a touch drag down (content moving up) releases', async () => {
    const { user, h, container, geo, turn } = await streamingWindow();
    fireEvent.touchStart(geo.scroller, { touches: [{ clientY: 100 }] });
    fireEvent.touchMove(geo.scroller, { touches: [{ clientY: 160 }] });
    await moreArrives(turn);
    expect(geo.distanceFromBottom()).toBeGreaterThan(0);
    expect(screen.getByRole('button', { name: /Jump to latest 1 new message/ })).toBeTruthy();
  });

  it('Jump to latest scrolls smoothly, or instantly when the user prefers reduced motion', async () => {
    for (const reduced of [false, true]) {
      const original = window.matchMedia;
      window.matchMedia = ((query: string) => ({ ...original(query), matches: reduced && query.includes('reduce') })) as typeof window.matchMedia;
      onTestFinished(() => {
        window.matchMedia = original;
      });
      const user = userEvent.setup();
      const h = createHarness(history(10));
      const view = render(<h.App />);
      const geo = stubGeometry(view.container);
      const smooth = vi.fn();
      geo.scroller.scrollTo = smooth as unknown as typeof geo.scroller.scrollTo;
      act(() => geo.scrollTo(geo.scroller.scrollHeight));
      fireEvent.wheel(geo.scroller, { deltaY: -50 });
      act(() => geo.scrollTo(0));
      await user.click(screen.getByRole('button', { name: /Jump to latest/ }));
      if (reduced) {
        expect(smooth).not.toHaveBeenCalled();
        expect(geo.distanceFromBottom()).toBe(0);
      } else {
        expect(smooth).toHaveBeenCalledWith({ top: geo.scroller.scrollHeight, behavior: 'smooth' });
      }
      view.unmount();
      window.matchMedia = original;
    }
  });
});
