/** `@cloudsignal/ai-chat-kit`: the browser transport, React hooks and components (browser-safe). */
export * from './transport/index.js';
export * from './react.js';
