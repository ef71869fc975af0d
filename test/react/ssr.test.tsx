// @vitest-environment node
import { describe, expect, it, vi } from 'vitest';
import { renderToString } from 'react-dom/server';

const constructed = vi.fn();
vi.mock('../../src/transport/cloudsignal-chat-transport.js', () => ({
  CloudSignalChatTransport: class {
    constructor() {
      constructed();
    }
  },
}));

const { useCloudSignalChat } = await import('../../src/hooks/use-cloudsignal-chat.js');
const { ChatWindow } = await import('../../src/components/chat-window.js');

function App() {
  const chat = useCloudSignalChat({ id: 'ssr', transport: { wssUrl: 'wss://broker.example/mqtt', authEndpoint: '/api/mqtt-token' } });
  return <ChatWindow chat={chat} title="Support" />;
}

describe('server rendering', () => {
  it('renders the window without creating a transport or opening a socket', () => {
    const html = renderToString(<App />);
    expect(constructed).not.toHaveBeenCalled();
    expect(html).toContain('role="log"');
    expect(html).toContain('Connecting');
    expect(html).toContain('data-slot="composer"');
  });
});
