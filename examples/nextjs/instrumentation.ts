/** Next.js calls `register()` once when the server starts: the broker and the worker start with it. */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return;
  const { startChatBackend } = await import('./lib/chat-backend');
  await startChatBackend();
}
