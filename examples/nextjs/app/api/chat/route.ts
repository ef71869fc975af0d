/**
 * The HTTP trigger: validates the turn, answers 202 at once, and streams the answer over MQTT.
 * The transport entry is React-free, so a route handler can import it (here for the defaults).
 */
import { TRANSPORT_DEFAULTS } from '@cloudsignal/ai-chat-kit';
import { createChatRequestHandler } from '@cloudsignal/ai-chat-kit/server';
import { chatBackend } from '@/lib/chat-backend';
import { chatTurn } from '@/lib/model';
import { sessionUserId } from '@/lib/session';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

const handle = createChatRequestHandler({
  client: async () => (await chatBackend()).triggerClient,
  handler: chatTurn,
  authenticate: sessionUserId,
  topicPrefix: TRANSPORT_DEFAULTS.topicPrefix,
});

export function POST(request: Request): Promise<Response> {
  return handle(request);
}
