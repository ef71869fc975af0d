import { chatConfig } from '@/lib/config';
import { PlainChat } from './plain-chat';

export const dynamic = 'force-dynamic';

/** The AI SDK's own `useChat` with the kit's transport, and no kit hook. */
export default function UseChatPage() {
  return (
    <main style={{ padding: '0 16px' }}>
      <h1>Plain useChat</h1>
      <PlainChat wssUrl={chatConfig.wssUrl} />
    </main>
  );
}
