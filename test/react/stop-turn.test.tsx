/**
 * `useCloudSignalChat().stop()` stops the turn itself, not only this page's reading of it: through
 * the transport's `stopTurn` when it has one, else through the abort signal `useChat` hands to
 * `sendMessages` (a wrapper that forwards only the `ChatTransport` methods hears Stop no other way).
 */
import { describe, expect, it } from 'vitest';
import { act, renderHook, waitFor } from '@testing-library/react';
import { useCloudSignalChat } from '../../src/hooks/use-cloudsignal-chat.js';
import { FakeTransport, WAIT, tick } from './fake-transport.js';

class StoppableTransport extends FakeTransport {
  readonly stopped: string[] = [];
  async stopTurn(chatId: string): Promise<void> {
    this.stopped.push(chatId);
  }
}

async function startAnswer(transport: FakeTransport, result: { current: ReturnType<typeof useCloudSignalChat> }) {
  await act(async () => {
    void result.current.sendMessage({ text: 'hi' });
    await tick();
  });
  await waitFor(() => expect(transport.turns).toHaveLength(1), WAIT);
  await act(async () => {
    transport.lastTurn.start('a1').text('Part');
    await tick(30);
  });
  await waitFor(() => expect(result.current.messages.at(-1)?.parts).toContainEqual(expect.objectContaining({ type: 'text', text: 'Part' })), WAIT);
  expect(result.current.isStreaming).toBe(true);
}

describe('useCloudSignalChat stop()', () => {
  it('with stopTurn: stops the turn through it, and an unmount does not stop the turn', async () => {
    const transport = new StoppableTransport();
    const { result, unmount } = renderHook(() => useCloudSignalChat({ id: 'c1', transport }));
    await startAnswer(transport, result);
    expect(transport.lastTurn.options.abortSignal).toBeUndefined();
    await act(async () => {
      await result.current.stop();
    });
    expect(transport.stopped).toEqual(['c1']);
    expect(result.current.isStreaming).toBe(false);

    await act(async () => {
      void result.current.sendMessage({ text: 'again' });
      await tick();
    });
    await waitFor(() => expect(transport.turns).toHaveLength(2), WAIT);
    const second = transport.lastTurn;
    unmount();
    await act(async () => tick(10));
    // The unmount has run its cleanup (the chat is released), and the turn was not stopped.
    await waitFor(() => expect(transport.retained).toBe(0), WAIT);
    expect(transport.stopped).toEqual(['c1']);
    expect(second.options.abortSignal).toBeUndefined();
  });

  it('without stopTurn: the abort signal reaches the transport, so Stop still stops the turn', async () => {
    const transport = new FakeTransport();
    const { result } = renderHook(() => useCloudSignalChat({ id: 'c1', transport }));
    await startAnswer(transport, result);
    const signal = transport.lastTurn.options.abortSignal as AbortSignal | undefined;
    expect(signal).toBeInstanceOf(AbortSignal);
    expect(signal!.aborted).toBe(false);
    await act(async () => {
      await result.current.stop();
    });
    expect(signal!.aborted).toBe(true);
    expect(result.current.isStreaming).toBe(false);
  });
});
