/** `@cloudsignal/ai-chat-kit`: the browser transport, React hooks and components. */
export * from './transport/index.js';
