import { describe, expect, it, vi } from 'vitest';
import { StrictMode } from 'react';
import { renderHook } from '@testing-library/react';

// The hook creates the real class from options; here a recording stand-in takes its place.
const created: Array<{ options: unknown; closed: boolean }> = [];
vi.mock('../../src/transport/cloudsignal-chat-transport.js', async () => {
  const { FakeTransport } = await import('./fake-transport.js');
  class CloudSignalChatTransport extends FakeTransport {
    private record: { options: unknown; closed: boolean };
    constructor(options: unknown) {
      super();
      this.record = { options, closed: false };
      created.push(this.record);
    }
    override close(): void {
      super.close();
      this.record.closed = true;
    }
  }
  return { CloudSignalChatTransport };
});

const { useChatTransport } = await import('../../src/hooks/use-chat-transport.js');

describe('useChatTransport with options', () => {
  it('creates the transport once, keeps it across renders and closes it on unmount', () => {
    created.length = 0;
    const { result, rerender, unmount } = renderHook(({ url }) => useChatTransport({ wssUrl: url }), { initialProps: { url: 'ws://a' } });
    const first = result.current;
    rerender({ url: 'ws://b' });
    expect(result.current).toBe(first);
    expect(created).toHaveLength(1);
    expect(created[0].closed).toBe(false);
    unmount();
    expect(created[0].closed).toBe(true);
  });

  it('under StrictMode ends with exactly one open transport, which is the one returned', () => {
    created.length = 0;
    const { result, unmount } = renderHook(() => useChatTransport({ wssUrl: 'ws://a' }), { wrapper: StrictMode });
    const open = created.filter((c) => !c.closed);
    expect(open).toHaveLength(1);
    expect((result.current as unknown as { closed: boolean }).closed).toBe(false);
    unmount();
    expect(created.every((c) => c.closed)).toBe(true);
  });
});
