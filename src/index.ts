/**
 * `@cloudsignal/ai-chat-kit`: the chat transports, with no React and no Node built-ins. Safe to import
 * in browsers, Server Components, route handlers and workers; `@ai-sdk/react`, `react` and `react-dom`
 * are not needed. The hooks and components live in `@cloudsignal/ai-chat-kit/react`.
 *
 * @example
 * ```ts
 * import { useChat } from '@ai-sdk/react';
 * import { CloudSignalChatTransport } from '@cloudsignal/ai-chat-kit';
 *
 * const transport = new CloudSignalChatTransport({ wssUrl, authEndpoint: '/api/mqtt-token', api: '/api/chat' });
 * const { messages, sendMessage } = useChat({ transport });
 * ```
 *
 * @packageDocumentation
 */
export * from './transport/index.js';
