/**
 * `@cloudsignal/ai-chat-kit/react`: the React hooks and the chat window. The built file starts with
 * `'use client'` (added at build time: bundlers drop module directives), so Server Components can
 * render `ChatWindow` from a client component without extra wrapping. Needs `react`, `react-dom` and
 * `@ai-sdk/react`; the transport itself comes from `@cloudsignal/ai-chat-kit`.
 *
 * @example
 * ```tsx
 * 'use client';
 * import { ChatWindow, useCloudSignalChat } from '@cloudsignal/ai-chat-kit/react';
 * import '@cloudsignal/ai-chat-kit/styles.css';
 *
 * export function Support() {
 *   const chat = useCloudSignalChat({ id: 'support', transport: { wssUrl, authEndpoint: '/api/mqtt-token', api: '/api/chat' } });
 *   return <ChatWindow chat={chat} />;
 * }
 * ```
 *
 * @packageDocumentation
 */
export * from './hooks/index.js';
export * from './components/index.js';
