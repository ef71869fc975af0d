import type { ReactNode } from 'react';
import '@cloudsignal/ai-chat-kit/styles.css';

export const metadata = { title: 'CloudSignal AI chat kit · Next.js' };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body style={{ margin: 0, fontFamily: 'system-ui, sans-serif' }}>
        <nav style={{ padding: '8px 16px', display: 'flex', gap: 16 }}>
          <a href="/">ChatWindow</a>
          <a href="/use-chat">Plain useChat</a>
        </nav>
        {children}
      </body>
    </html>
  );
}
