/**
 * The transport says `done` once a turn's last chunk reached it; `useChat` may still be consuming
 * the stream. Until it has, `generation.status` says `catching-up`, so "Done" never stands over a
 * row whose text is still arriving.
 */
import { describe, expect, it } from 'vitest';
import { act, renderHook } from '@testing-library/react';
import { useCloudSignalChat } from '../../src/hooks/use-cloudsignal-chat.js';
import { FakeTransport, tick } from './fake-transport.js';
describe('useCloudSignalChat generation', () => {
  it('says catching-up, not done, while this page still reads the turn the worker finished', async () => {
    const transport = new FakeTransport();
    const { result } = renderHook(() => useCloudSignalChat({ id: 'c1', transport }));
    await act(async () => {
      void result.current.sendMessage({ text: 'hi' });
      await tick();
    });
    await act(async () => {
      transport.lastTurn.start('a1').text('Part');
      await tick(30);
    });
    act(() => transport.activity('c1').update({ requestId: 'r1', turnState: 'done', startedHere: true }));
    expect(result.current.isStreaming).toBe(true);
    expect(result.current.generation.status).toBe('catching-up');
    expect(result.current.generation.isActive).toBe(true);
    await act(async () => {
      transport.lastTurn.text(' done').finish();
      await tick(30);
    });
    expect(result.current.isStreaming).toBe(false);
    expect(result.current.generation.status).toBe('done');
  });
});
