/**
 * A Server Component: it imports the transport entry (React-free, safe on the server) to show the
 * topic scheme, and renders the client component that holds the chat.
 */
import { TopicScheme } from '@cloudsignal/ai-chat-kit';
import { chatConfig } from '@/lib/config';
import { SupportChat } from './support-chat';

export const dynamic = 'force-dynamic';

export default function Home() {
  const requestTopic = new TopicScheme().topic({ userId: 'guest', chatId: 'support' }, 'request');
  return (
    <main style={{ height: 'calc(100vh - 40px)', display: 'flex', flexDirection: 'column', padding: '0 16px 16px' }}>
      <p data-testid="topic">Requests go to {requestTopic}</p>
      <SupportChat wssUrl={chatConfig.wssUrl} />
    </main>
  );
}
