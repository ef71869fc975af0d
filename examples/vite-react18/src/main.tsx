/** React 18: `ChatWindow` on `useCloudSignalChat`, talking to the broker `server.mjs` starts. */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { ChatWindow, useCloudSignalChat } from '@cloudsignal/ai-chat-kit/react';
import '@cloudsignal/ai-chat-kit/styles.css';

/** `server.mjs` tells the page where the broker's WebSocket listener is. */
const wssUrl = document.querySelector<HTMLMetaElement>('meta[name="chat-wss-url"]')?.content ?? 'ws://127.0.0.1:9001/mqtt';

function App() {
  const chat = useCloudSignalChat({ id: 'react18', transport: { wssUrl, authEndpoint: '/api/mqtt-token', api: '/api/chat' } });
  return <ChatWindow chat={chat} title="React 18" />;
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
