import { describe, expect, it } from 'vitest';
import { Profiler, StrictMode } from 'react';
import { act, render, renderHook, waitFor } from '@testing-library/react';
import type { UIMessage } from 'ai';
import { useCloudSignalChat, type CloudSignalChat } from '../../src/hooks/use-cloudsignal-chat.js';
import { createNetworkError } from '../../src/transport/errors.js';
import { FakeTransport, WAIT, tick, userMessage } from './fake-transport.js';

function textOf(message: UIMessage | undefined): string {
  return (message?.parts ?? []).map((p) => (p.type === 'text' ? p.text : '')).join('');
}

function setup(options: { messages?: UIMessage[]; throttle?: number; resume?: boolean } = {}) {
  const transport = new FakeTransport();
  const hook = renderHook(() => useCloudSignalChat({ id: 'c1', transport, ...options }));
  return { transport, ...hook };
}

describe('useCloudSignalChat', () => {
  it('streams an answer and reports the three axes separately', async () => {
    const { transport, result } = setup();
    expect(result.current.connection.status).toBe('connected');
    expect(result.current.generation.status).toBe('idle');
    expect(result.current.recovery.resuming).toBe(false);

    await act(async () => {
      void result.current.sendMessage({ text: 'hi' });
      await tick();
    });
    await waitFor(() => expect(result.current.isStreaming).toBe(true), WAIT);
    act(() => transport.activity('c1').update({ requestId: 'r1', turnState: 'generating', startedHere: true }));
    await act(async () => {
      transport.lastTurn.start('a1').text('Hel').text('lo');
      await tick(30);
    });
    // Waits for what the user sees, not for a fixed time: a busy CPU delays the render.
    await waitFor(() => expect(textOf(result.current.messages[1])).toBe('Hello'), WAIT);
    expect(result.current.generation.status).toBe('generating');
    await act(async () => {
      transport.lastTurn.finish();
      await tick(30);
    });
    await waitFor(() => expect(result.current.status).toBe('ready'), WAIT);
    expect(result.current.isStreaming).toBe(false);
    expect(transport.turns.filter((t) => t.kind === 'reconnect')).toHaveLength(0);
  });

  it('is referentially stable while nothing changes', async () => {
    const { result, rerender } = setup();
    const first = result.current;
    rerender();
    expect(result.current).toBe(first);
    expect(result.current.sendMessage).toBe(first.sendMessage);
  });

  it('after a dropped connection resumes the stream once the connection is back', async () => {
    const { transport, result } = setup();
    await act(async () => {
      void result.current.sendMessage({ text: 'hi' });
      await tick();
    });
    await waitFor(() => expect(transport.turns).toHaveLength(1), WAIT);
    act(() => transport.activity('c1').update({ requestId: 'r1', turnState: 'generating', startedHere: true }));
    await act(async () => {
      transport.lastTurn.start('a1').text('Part');
      await tick(30);
    });
    await waitFor(() => expect(textOf(result.current.messages[1])).toBe('Part'), WAIT);
    // The socket goes: the transport fails the stream with its network error, then reconnects.
    await act(async () => {
      transport.setConnection({ status: 'reconnecting', attempt: 1 });
      transport.lastTurn.fail(createNetworkError('socket closed'));
      await tick(30);
    });
    await waitFor(() => expect(result.current.status).toBe('error'), WAIT);
    expect(result.current.errorKind).toBe('network');
    expect(transport.turns).toHaveLength(1); // no resume while offline

    transport.hasLiveTurn = true;
    await act(async () => {
      transport.setConnection({ status: 'connected', attempt: 0, connectedAt: 2 });
      await tick(30);
    });
    await waitFor(() => expect(transport.turns).toHaveLength(2), WAIT);
    expect(transport.lastTurn.kind).toBe('reconnect');
    // The transport replays from the start; useChat resets the partial message on `start`.
    await act(async () => {
      transport.lastTurn.start('a1').text('Partial answer').finish();
      await tick(30);
    });
    await waitFor(() => expect(result.current.status).toBe('ready'), WAIT);
    // The last text may still be a throttled render behind the status: wait for it.
    await waitFor(() => expect(textOf(result.current.messages[1])).toBe('Partial answer'), WAIT);
    expect(result.current.messages).toHaveLength(2);
  });

  it('picks up a turn started on another device: inserts its user message, then streams the answer', async () => {
    const { transport, result } = setup({ messages: [userMessage('u0', 'earlier'), { id: 'a0', role: 'assistant', parts: [{ type: 'text', text: 'ok' }] }] });
    transport.hasLiveTurn = true;
    await act(async () => {
      transport.activity('c1').update({
        requestId: 'r2',
        turnState: 'generating',
        startedHere: false,
        userMessage: userMessage('u1', 'from my phone'),
        messageId: 'a1',
      });
      await tick(10);
    });
    await waitFor(() => expect(result.current.messages.map((m) => m.id)).toEqual(['u0', 'a0', 'u1']), WAIT);
    await waitFor(() => expect(transport.lastTurn?.kind).toBe('reconnect'), WAIT);
    await act(async () => {
      transport.lastTurn.start('a1').text('Answer for the phone').finish();
      await tick(30);
    });
    await waitFor(() => expect(textOf(result.current.messages[3])).toBe('Answer for the phone'), WAIT);
    expect(result.current.messages.map((m) => m.id)).toEqual(['u0', 'a0', 'u1', 'a1']);
    // The same turn is not picked up twice.
    await act(async () => {
      transport.activity('c1').update({ turnState: 'done' });
      await tick(10);
    });
    // The hook has seen the update (its effects ran on that render) and did not read the turn again.
    await waitFor(() => expect(result.current.generation.status).toBe('done'), WAIT);
    expect(transport.turns).toHaveLength(1);
  });

  it('resumes a turn that is live when the page mounts', async () => {
    const transport = new FakeTransport();
    transport.hasLiveTurn = true;
    transport.activity('c1').update({ requestId: 'r9', turnState: 'thinking', userMessage: userMessage('u9', 'q'), messageId: 'a9' });
    const { result } = renderHook(() => useCloudSignalChat({ id: 'c1', transport }));
    await waitFor(() => expect(transport.turns.map((t) => t.kind)).toEqual(['reconnect']), WAIT);
    await waitFor(() => expect(result.current.messages.map((m) => m.id)).toEqual(['u9']), WAIT);
  });

  it('does not resume when resume is off, or for turns it started itself', async () => {
    const off = setup({ resume: false });
    off.transport.hasLiveTurn = true;
    await act(async () => {
      off.transport.activity('c1').update({ requestId: 'r1', turnState: 'generating', userMessage: userMessage('u1', 'x') });
      await tick(10);
    });
    // The hook has seen the live turn (its effects ran on that render), and did not resume it.
    await waitFor(() => expect(off.result.current.generation).toMatchObject({ status: 'generating', requestId: 'r1' }), WAIT);
    expect(off.transport.turns).toHaveLength(0);

    const mine = setup();
    mine.transport.hasLiveTurn = true;
    await act(async () => {
      mine.transport.activity('c1').update({ requestId: 'r1', turnState: 'generating', startedHere: true });
      await tick(10);
    });
    await waitFor(() => expect(mine.result.current.generation).toMatchObject({ status: 'generating', requestId: 'r1', startedHere: true }), WAIT);
    expect(mine.transport.turns).toHaveLength(0);
  });

  it('commits at most about once per animation frame under a fast stream', async () => {
    const transport = new FakeTransport();
    let commits = 0;
    let chat: CloudSignalChat | null = null;
    function Probe() {
      chat = useCloudSignalChat({ id: 'c1', transport });
      return <span>{chat.messages.length}</span>;
    }
    render(
      <Profiler id="chat" onRender={() => commits++}>
        <Probe />
      </Profiler>,
    );
    await act(async () => {
      void chat!.sendMessage({ text: 'go' });
      await tick();
    });
    await waitFor(() => expect(transport.turns).toHaveLength(1), WAIT);
    const turn = transport.lastTurn;
    const tokens = 2_000;
    // Outside act(): React schedules commits as it would in a browser, so they can be counted.
    const env = globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean };
    env.IS_REACT_ACT_ENVIRONMENT = false;
    commits = 0;
    const started = performance.now();
    try {
      turn.start('a1');
      // 2 000 tokens in bursts of 20 every ~5 ms: ~4 000 tokens/s, far faster than a screen paints.
      for (let i = 0; i < tokens; i++) {
        turn.text(`t${i} `);
        if (i % 20 === 19) await tick(5);
      }
      turn.finish();
      await waitFor(() => expect(chat!.status).toBe('ready'), WAIT);
    } finally {
      env.IS_REACT_ACT_ENVIRONMENT = true;
    }
    const elapsed = performance.now() - started;
    const perSecond = (commits / elapsed) * 1000;
    console.log(`[measure] ${tokens} tokens in ${elapsed.toFixed(0)} ms -> ${commits} commits (${perSecond.toFixed(1)} commits/s)`);
    expect(textOf(chat!.messages[1]).split(' ').length - 1).toBe(tokens);
    // One commit per 16 ms frame, plus the status changes (streaming, ready) and timer slack.
    expect(commits).toBeLessThanOrEqual(Math.ceil(elapsed / 16) + 6);
    expect(commits).toBeGreaterThan(1);
    expect(commits).toBeLessThan(tokens / 10);
  });

  it('under StrictMode sends once and streams once', async () => {
    const transport = new FakeTransport();
    const { result } = renderHook(() => useCloudSignalChat({ id: 'c1', transport }), { wrapper: StrictMode });
    expect(transport.retained).toBe(1); // the double-mounted effect released its first retain
    await act(async () => {
      void result.current.sendMessage({ text: 'strict' });
      await tick();
    });
    await waitFor(() => expect(transport.turns).toHaveLength(1), WAIT);
    await act(async () => {
      transport.lastTurn.start('a1').text('once').finish();
      await tick(30);
    });
    await waitFor(() => expect(textOf(result.current.messages[1])).toBe('once'), WAIT);
    expect(result.current.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
  });

  it('picks up another device’s turn even while showing an earlier failure', async () => {
    const { transport, result } = setup();
    await act(async () => {
      void result.current.sendMessage({ text: 'first' });
      await tick();
    });
    await waitFor(() => expect(transport.turns).toHaveLength(1), WAIT);
    act(() => transport.activity('c1').update({ requestId: 'r1', turnState: 'thinking', startedHere: true }));
    await act(async () => {
      transport.lastTurn.fail(new Error('model overloaded'));
      await tick(10);
    });
    await waitFor(() => expect(result.current.status).toBe('error'), WAIT);
    expect(result.current.errorKind).toBe('other');
    transport.hasLiveTurn = true;
    await act(async () => {
      transport.activity('c1').update({ requestId: 'r2', turnState: 'generating', startedHere: false, userMessage: userMessage('u2', 'from the phone'), messageId: 'a2' });
      await tick(10);
    });
    await waitFor(() => expect(transport.lastTurn.kind).toBe('reconnect'), WAIT);
    await act(async () => {
      transport.lastTurn.start('a2').text('phone answer').finish();
      await tick(30);
    });
    await waitFor(() => expect(result.current.status).toBe('ready'), WAIT);
    await waitFor(() => expect(textOf(result.current.messages.at(-1))).toBe('phone answer'), WAIT);
    expect(result.current.messages.at(-2)?.id).toBe('u2');
  });
});
