'use client';
/**
 * The AI SDK docs' pattern: `useChat({ transport })`, with the kit's transport swapped in and the
 * MQTT trigger (no web server in the path of the turn).
 */
import { useMemo, useState } from 'react';
import { useChat } from '@ai-sdk/react';
import { CloudSignalChatTransport } from '@cloudsignal/ai-chat-kit';

export function PlainChat({ wssUrl }: { wssUrl: string }) {
  const transport = useMemo(() => new CloudSignalChatTransport({ wssUrl, authEndpoint: '/api/mqtt-token', trigger: 'mqtt' }), [wssUrl]);
  const { messages, sendMessage, status, error } = useChat({ id: 'plain', transport });
  const [input, setInput] = useState('');
  return (
    <div>
      <ul aria-label="Messages">
        {messages.map((message) => (
          <li key={message.id} data-role={message.role}>
            <strong>{message.role}:</strong> {message.parts.map((part) => (part.type === 'text' ? part.text : '')).join('')}
          </li>
        ))}
      </ul>
      <p data-testid="status">{status}</p>
      {error && <p role="alert">{error.message}</p>}
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (!input.trim()) return;
          void sendMessage({ text: input });
          setInput('');
        }}
      >
        <input aria-label="Message" value={input} onChange={(event) => setInput(event.target.value)} />
        <button type="submit" disabled={status === 'submitted' || status === 'streaming'}>Send</button>
      </form>
    </div>
  );
}
