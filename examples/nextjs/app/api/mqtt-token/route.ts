/** The credentials endpoint: short-lived MQTT credentials for the signed-in user's own topics. */
import { createCredentialsHandler } from '@cloudsignal/ai-chat-kit/server';
import { chatBackend } from '@/lib/chat-backend';
import { sessionUserId } from '@/lib/session';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export async function POST(request: Request): Promise<Response> {
  const { issuer } = await chatBackend();
  return createCredentialsHandler({ authenticate: sessionUserId, issuer, ttlSeconds: 900 })(request);
}
