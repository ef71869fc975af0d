/**
 * The demo page: `ChatWindow` on `useCloudSignalChat`, what it runs against, and a button that
 * drops the connection so you can watch the banner and the resume.
 *
 * URL parameters: `?user=` picks the demo user (otherwise the demo session cookie decides, so all
 * tabs of one browser are one user), `?chat=` the chat id (default `demo`), `?trigger=http` starts
 * turns with an HTTP POST instead of an MQTT publish. The sidebar lists the user's stored chats;
 * choosing one, or "New chat", opens it by its URL, so every chat has a link to share.
 */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import config from 'virtual:demo-config';
import { isValidSegment } from '../src/index.js';
import { ChatList, ChatWindow, useChatList, useCloudSignalChat } from '../src/react.js';
import '../src/styles.css';
import './demo.css';

const params = new URLSearchParams(window.location.search);
const validParam = (name: string) => {
  const value = params.get(name);
  return value && isValidSegment(value) ? value : null;
};
const explicitUser = validParam('user');
const chatId = validParam('chat') ?? 'demo';
const trigger = params.get('trigger') === 'http' ? 'http' : 'mqtt';

const wideScreen = typeof window.matchMedia === 'function' && window.matchMedia('(min-width: 700px)').matches;

function sessionUser(): string | null {
  const entry = document.cookie.split('; ').find((part) => part.startsWith(`${config.userCookie}=`));
  return entry ? decodeURIComponent(entry.slice(config.userCookie.length + 1)) : null;
}

function App() {
  const chat = useCloudSignalChat({
    id: chatId,
    transport: {
      wssUrl: config.wssUrl,
      authEndpoint: '/api/mqtt-token',
      api: '/api/chat',
      trigger,
      headers: explicitUser ? { [config.userHeader]: explicitUser } : undefined,
      streamTimeout: config.streamTimeout ?? undefined,
    },
  });
  const user = explicitUser ?? sessionUser();
  const connected = chat.connection.status === 'connected';
  const dropConnection = () => {
    chat.transport.dropConnection?.();
  };
  const chatUrl = (id: string) => `/?${new URLSearchParams({ ...(explicitUser ? { user: explicitUser } : {}), ...(trigger === 'http' ? { trigger } : {}), chat: id }).toString()}`;
  const shareUrl = `/?${new URLSearchParams({ ...(user ? { user } : {}), chat: chatId }).toString()}`;
  const chats = useChatList(chat.transport);
  const openChat = (id: string) => {
    if (id !== chatId) window.location.assign(chatUrl(id));
  };
  // A new chat is a fresh id: it exists in the store once its first prompt is sent.
  const newChat = () => window.location.assign(chatUrl(`c${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`));

  return (
    <div className="demo">
      <header className="demo-header">
        <h1 className="demo-title">AI chat over MQTT</h1>
        <button type="button" className="demo-drop" onClick={dropConnection} disabled={!connected}>
          Simulate network drop
        </button>
        {/* Open on wide screens; on a phone the chat gets the height and the facts are one tap away. */}
        <details className="demo-about" open={wideScreen}>
          <summary>About this demo</summary>
          <dl className="demo-facts">
            <div>
              <dt>Model</dt>
              <dd>
                <span className="demo-model" data-simulated={config.simulated || undefined}>
                  {config.model}
                </span>
                {config.simulated && config.tokensPerSecond ? ` · offline, ${config.tokensPerSecond} tokens/s` : null}
              </dd>
            </div>
            <div>
              <dt>Broker</dt>
              <dd>
                <code>{config.wssUrl}</code> ({config.broker === 'embedded' ? 'embedded' : config.broker}, {config.browserAuth === 'anonymous' ? 'anonymous' : 'per-user credentials'})
              </dd>
            </div>
            <div>
              <dt>User · chat</dt>
              <dd>
                <code>{user ?? 'signing in…'}</code> · <code>{chatId}</code> · turns by {trigger === 'mqtt' ? 'MQTT publish' : 'HTTP POST'}
              </dd>
            </div>
          </dl>
          <p className="demo-hint">
            Open <a href={shareUrl} target="_blank" rel="noreferrer">this chat in another tab</a> to watch it live, or reload mid-answer: the answer
            picks up where it was.
          </p>
        </details>
      </header>
      {/* The body is a row: a sidebar (the chat list) goes before <main>. */}
      <div className="demo-body">
        <ChatList className="demo-sidebar" aria-label="Your chats" list={chats} activeChatId={chatId} onSelect={openChat} onNewChat={newChat} />
        <main className="demo-main">
          <ChatWindow chat={chat} title="Chat" placeholder="Ask anything, e.g. “How does this work?”" />
        </main>
      </div>
    </div>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
