import type { UIMessage } from 'ai';
import { useCloudSignalChat, type CloudSignalChat } from '../../src/hooks/use-cloudsignal-chat.js';
import { ChatWindow, type ChatWindowProps } from '../../src/components/chat-window.js';
import { FakeTransport } from './fake-transport.js';

export interface Harness {
  transport: FakeTransport;
  chat: () => CloudSignalChat;
}

/** Renders `<ChatWindow>` on a `useCloudSignalChat` over a fake transport the test drives. */
export function createHarness(messages: UIMessage[] = []) {
  const transport = new FakeTransport();
  let latest: CloudSignalChat | null = null;
  function App(props: Omit<ChatWindowProps, 'chat'>) {
    const chat = useCloudSignalChat({ id: 'c1', transport, messages });
    latest = chat;
    return <ChatWindow chat={chat} title="Support" {...props} />;
  }
  return { transport, App, chat: () => latest! };
}
