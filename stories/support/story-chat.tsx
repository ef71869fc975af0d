import type { ReactNode } from 'react';
import type { UIMessage } from 'ai';
import { useCloudSignalChat, type CloudSignalChat } from '../../src/hooks/use-cloudsignal-chat.js';
import { ChatWindow, type ChatWindowProps } from '../../src/components/chat-window.js';
import type { MockChatEnv, Scenario } from './mock-chat.js';
import { useMockChatEnv } from './use-mock-chat-env.js';

export const CHAT_ID = 'story-chat';

/** Buttons that inject faults into the mock world, so play functions (and people) can use them. */
export function FaultControls({ env, device = 0 }: { env: MockChatEnv; device?: number }) {
  return (
    <div style={{ display: 'flex', gap: 8, marginBottom: 8, fontFamily: 'system-ui', fontSize: 13 }}>
      <button type="button" onClick={() => env.dropDevice(device)}>
        Simulate network drop
      </button>
      <button type="button" onClick={() => env.broker.setOffline(true)}>
        Take broker offline
      </button>
      <button type="button" onClick={() => env.broker.setOffline(false)}>
        Bring broker back
      </button>
      <button type="button" onClick={() => env.crashWorker()}>
        Crash worker
      </button>
    </div>
  );
}

export function DeviceChat({
  env,
  device = 0,
  messages,
  render,
  ...windowProps
}: { env: MockChatEnv; device?: number; messages?: UIMessage[]; render?: (chat: CloudSignalChat) => ReactNode } & Omit<ChatWindowProps, 'chat'>) {
  const chat = useCloudSignalChat({ id: CHAT_ID, transport: env.transports[device], messages });
  return <>{render ? render(chat) : <ChatWindow chat={chat} {...windowProps} />}</>;
}

export interface StoryChatProps extends Omit<ChatWindowProps, 'chat'> {
  scenario?: Scenario;
  messages?: UIMessage[];
  faults?: boolean;
}

/** One device's `<ChatWindow>` on a fresh mock broker with the real worker. */
export function StoryChat({ scenario = {}, messages, faults = true, ...windowProps }: StoryChatProps) {
  const env = useMockChatEnv(scenario);
  if (!env) return <p>Starting the mock broker…</p>;
  return (
    <div style={{ display: 'flex', flexDirection: 'column', height: '100%' }}>
      {faults && <FaultControls env={env} />}
      <div style={{ flex: 1, minHeight: 0 }}>
        <DeviceChat env={env} messages={messages} {...windowProps} />
      </div>
    </div>
  );
}

/** A long thread for the virtualization story. */
export function longHistory(count: number): UIMessage[] {
  const messages: UIMessage[] = [];
  for (let i = 0; i < count; i++) {
    messages.push(
      i % 2 === 0
        ? { id: `h-u${i}`, role: 'user', parts: [{ type: 'text', text: `Question ${i / 2 + 1}: how does turn ${i} work?` }] }
        : {
            id: `h-a${i}`,
            role: 'assistant',
            parts: [{ type: 'text', state: 'done', text: `Answer ${(i + 1) / 2}. Turn **${i}** is published with a sequence number per chunk${i % 6 === 1 ? ', and here is some `inline code`' : ''}.` + (i % 10 === 3 ? '\n\n- first point\n- second point' : '') }],
          },
    );
  }
  return messages;
}
