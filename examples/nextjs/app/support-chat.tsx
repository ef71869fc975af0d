'use client';
/** `ChatWindow` on `useCloudSignalChat`: the kit's hook and component, HTTP trigger. */
import { ChatWindow, useCloudSignalChat } from '@cloudsignal/ai-chat-kit/react';

export function SupportChat({ wssUrl }: { wssUrl: string }) {
  const chat = useCloudSignalChat({
    id: 'support',
    transport: { wssUrl, authEndpoint: '/api/mqtt-token', api: '/api/chat' },
  });
  return <ChatWindow chat={chat} title="Support" />;
}
