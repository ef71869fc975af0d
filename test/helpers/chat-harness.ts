/**
 * Test harness for whole turns: a broker, workers and transports wired together, and a consumer
 * that reads a turn the way `useChat` does (resume after a network TypeError, reset the partial
 * message on a replay's `start` chunk).
 */
import type { UIMessage, UIMessageChunk } from 'ai';
import { CloudSignalChatTransport, type CloudSignalChatTransportOptions, type ConnectionStatus } from '../../src/transport/index.js';

export const userMessage = (text: string, id = `u_${Math.random().toString(36).slice(2, 10)}`): UIMessage => ({
  id,
  role: 'user',
  parts: [{ type: 'text', text }],
});

export interface TurnReadout {
  text: string;
  chunks: UIMessageChunk[];
  resumes: number;
  /** Chunk types in the order the consumer finally kept them. */
  types: string[];
}

/** Waits until the transport reports `connected`. */
export function waitConnected(transport: CloudSignalChatTransport, timeoutMs = 20_000): Promise<void> {
  return waitStatus(transport, 'connected', timeoutMs);
}

/**
 * Waits until the transport's connection reports `status`. It subscribes to the connection state
 * as the kit's hooks do, which starts a lazy connection.
 */
export function waitStatus(transport: CloudSignalChatTransport, status: ConnectionStatus, timeoutMs = 20_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (transport.connection.getSnapshot().status === status) {
        clearTimeout(timer);
        unsubscribe();
        resolve();
      }
    };
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`not ${status} after ${timeoutMs} ms (${JSON.stringify(transport.connection.getSnapshot())})`));
    }, timeoutMs);
    const unsubscribe = transport.connection.subscribe(check);
    check();
  });
}

const isNetworkError = (error: unknown) => error instanceof TypeError && /network/i.test(error.message);

/**
 * Reads a turn to its end like `useChat`: on a resumable network error, waits for the connection
 * and calls `reconnectToStream`, resetting the message on the replay's first `start`.
 */
export async function readTurn(transport: CloudSignalChatTransport, chatId: string, first: ReadableStream<UIMessageChunk>, options: { maxResumes?: number } = {}): Promise<TurnReadout> {
  const maxResumes = options.maxResumes ?? 100;
  let chunks: UIMessageChunk[] = [];
  let resumes = 0;
  let stream: ReadableStream<UIMessageChunk> | null = first;
  let replay = false;
  while (stream) {
    const reader = stream.getReader();
    let sawStart = false;
    try {
      while (true) {
        const { value, done } = await reader.read();
        if (done) return readout(chunks, resumes);
        if (value.type === 'start' && replay && !sawStart) chunks = [];
        if (value.type === 'start') sawStart = true;
        chunks.push(value);
      }
    } catch (error) {
      if (!isNetworkError(error) || resumes >= maxResumes) throw error;
      resumes++;
      replay = true;
      stream = null;
      while (!stream) {
        await waitConnected(transport);
        try {
          stream = await transport.reconnectToStream({ chatId });
          if (!stream) return readout(chunks, resumes);
        } catch (retryError) {
          if (!isNetworkError(retryError)) throw retryError;
        }
      }
    }
  }
  return readout(chunks, resumes);
}

function readout(chunks: UIMessageChunk[], resumes: number): TurnReadout {
  let text = '';
  for (const chunk of chunks) if (chunk.type === 'text-delta') text += chunk.delta;
  return { text, chunks, resumes, types: chunks.map((chunk) => chunk.type) };
}

/** Starts a turn and reads it to the end. */
export async function runTurn(transport: CloudSignalChatTransport, chatId: string, prompt: string, abortSignal?: AbortSignal): Promise<TurnReadout> {
  const stream = await transport.sendMessages({ chatId, trigger: 'submit-message', messageId: undefined, abortSignal, messages: [userMessage(prompt)] });
  return readTurn(transport, chatId, stream);
}

export function createTransport(options: CloudSignalChatTransportOptions): CloudSignalChatTransport {
  return new CloudSignalChatTransport({ trigger: 'mqtt', userId: 'user1', ...options });
}
