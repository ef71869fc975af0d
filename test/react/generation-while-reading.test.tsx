/**
 * The transport says `done` once a turn's last chunk reached it; `useChat` may still be consuming
 * the stream. Until it has, `generation.status` says `catching-up`, so "Done" never stands over a
 * row whose text is still arriving.
 */
import { describe, expect, it } from 'vitest';
import { act, renderHook, waitFor } from '@testing-library/react';
import { useCloudSignalChat } from '../../src/hooks/use-cloudsignal-chat.js';
import { FakeTransport, WAIT, tick } from './fake-transport.js';
describe('useCloudSignalChat generation', () => {
  it('says catching-up, not done, while this page still reads the turn the worker finished', async () => {
    const transport = new FakeTransport();
    const { result } = renderHook(() => useCloudSignalChat({ id: 'c1', transport }));
    await act(async () => {
      void result.current.sendMessage({ text: 'hi' });
      await tick();
    });
    await waitFor(() => expect(transport.turns).toHaveLength(1), WAIT);
    await act(async () => {
      transport.lastTurn.start('a1').text('Part');
      await tick(30);
    });
    // This page is reading the turn: its first text is on screen.
    await waitFor(() => expect(result.current.messages.at(-1)?.parts).toContainEqual(expect.objectContaining({ type: 'text', text: 'Part' })), WAIT);
    act(() => transport.activity('c1').update({ requestId: 'r1', turnState: 'done', startedHere: true }));
    expect(result.current.isStreaming).toBe(true);
    expect(result.current.generation.status).toBe('catching-up');
    expect(result.current.generation.isActive).toBe(true);
    await act(async () => {
      transport.lastTurn.text(' done').finish();
      await tick(30);
    });
    await waitFor(() => expect(result.current.isStreaming).toBe(false), WAIT);
    expect(result.current.generation.status).toBe('done');
  });
});
