/**
 * Type test: an app's own `UIMessage` type flows through the hooks into `ChatWindow` (issue 15,
 * "Types"). An app with `UIMessage<Metadata, DataParts, Tools>` passes its `useCloudSignalChat`
 * result to `ChatWindow` without a cast, and the window's callbacks get the app's message, data
 * part and tool part types. `npm run typecheck` checks these lines (a wrong type fails it); the
 * functions are never called, the runtime test only keeps Vitest from reporting an empty file.
 */
import type { ReactNode } from 'react';
import type { useChat } from '@ai-sdk/react';
import type { DynamicToolUIPart, UIMessage } from 'ai';
import { expect, expectTypeOf, test } from 'vitest';
import type { ChatWindow, ChatWindowProps, ReconnectBanner, StatusIndicator } from '../../src/components/index.js';
import type { CloudSignalChat, useChatTransport, useCloudSignalChat, useConnectionState } from '../../src/hooks/index.js';
import type { CloudSignalChatTransport } from '../../src/transport/index.js';

// Type aliases, as apps write them (an interface would need an index signature to be UIDataTypes).
type MyMetadata = { createdAt: number; model: 'fast' | 'smart' };
type MyDataParts = {
  weather: { city: string; degrees: number };
  notice: { text: string };
};
type MyTools = {
  getWeather: { input: { city: string }; output: { degrees: number } };
  lookUp: { input: { query: string }; output: { hits: string[] } };
};
type MyMessage = UIMessage<MyMetadata, MyDataParts, MyTools>;

/** The app's window: what a `.tsx` file writes as `<ChatWindow chat={chat} ... />`. */
function appWindow(Window: typeof ChatWindow, chat: CloudSignalChat<MyMessage>): ReactNode {
  return Window({
    chat,
    timestamp: (message) => {
      expectTypeOf(message).toEqualTypeOf<MyMessage>();
      return message.metadata?.createdAt;
    },
    avatar: (role, message) => (message.metadata?.model === 'smart' ? role : null),
    onFeedback: (message, feedback) => {
      expectTypeOf(message.metadata).toEqualTypeOf<MyMetadata | undefined>();
      expectTypeOf(feedback).toEqualTypeOf<'up' | 'down'>();
    },
    renderDataPart: (part, message) => {
      expectTypeOf(message).toEqualTypeOf<MyMessage>();
      if (part.type === 'data-weather') {
        expectTypeOf(part.data).toEqualTypeOf<{ city: string; degrees: number }>();
        return `${part.data.city}: ${part.data.degrees}`;
      }
      expectTypeOf(part.type).toEqualTypeOf<'data-notice'>();
      return part.data.text;
    },
    renderTool: ({ part, message, name, fallback }) => {
      expectTypeOf(message).toEqualTypeOf<MyMessage>();
      expectTypeOf(name).toEqualTypeOf<string>();
      if (part.type === 'tool-getWeather' && part.state === 'output-available') {
        expectTypeOf(part.input).toEqualTypeOf<{ city: string }>();
        expectTypeOf(part.output).toEqualTypeOf<{ degrees: number }>();
        return `${part.input.city}: ${part.output.degrees}`;
      }
      if (part.type === 'dynamic-tool') expectTypeOf(part).toEqualTypeOf<DynamicToolUIPart>();
      return fallback;
    },
    followUps: (messages) => {
      expectTypeOf(messages).toEqualTypeOf<readonly MyMessage[]>();
      return messages.length > 0 ? ['Tell me more'] : [];
    },
  });
}

/** Renderers keyed by tool name get that tool's part. */
function toolRenderersByName(Window: typeof ChatWindow, chat: CloudSignalChat<MyMessage>): ReactNode {
  return Window({
    chat,
    renderTool: {
      getWeather: ({ part }) => {
        // A dynamic call of the same name reaches this renderer too.
        if (part.type === 'dynamic-tool') return null;
        expectTypeOf(part.type).toEqualTypeOf<'tool-getWeather'>();
        return part.state === 'output-available' ? String(part.output.degrees) : null;
      },
      lookUp: ({ part }) => (part.type === 'tool-lookUp' && part.state === 'output-available' ? part.output.hits.join(', ') : null),
      // @ts-expect-error: no tool of this name in the app's tools
      getWether: () => null,
    },
  });
}

/** The hooks carry the app's type from options to the window and the smaller components. */
function appHooks(
  useCloudSignalChatHook: typeof useCloudSignalChat,
  useTransport: typeof useChatTransport,
  useConnection: typeof useConnectionState,
  Window: typeof ChatWindow,
  Status: typeof StatusIndicator,
  Banner: typeof ReconnectBanner,
): ReactNode[] {
  const chat = useCloudSignalChatHook<MyMessage>({ id: 'support', transport: { wssUrl: 'ws://127.0.0.1:1', authEndpoint: '/api/mqtt-token' } });
  expectTypeOf(chat.messages).toEqualTypeOf<MyMessage[]>();
  const transport = useTransport<MyMessage>({ wssUrl: 'ws://127.0.0.1:1', authEndpoint: '/api/mqtt-token' });
  const fromInstance = useCloudSignalChatHook({ transport });
  expectTypeOf(fromInstance).toEqualTypeOf<CloudSignalChat<MyMessage>>();
  expectTypeOf(useConnection(chat.transport).status).toBeString();
  return [Window({ chat }), Window({ chat: fromInstance }), Status({ chat }), Banner({ chat })];
}

/** The AI SDK's own `useChat` takes the kit's transport for the app's type. */
function plainUseChat(useChatHook: typeof useChat, transport: CloudSignalChatTransport<MyMessage>): MyMessage[] {
  return useChatHook<MyMessage>({ transport }).messages;
}

/** Callbacks typed for another message type are refused, not silently accepted. */
function mismatched(Window: typeof ChatWindow, chat: CloudSignalChat<MyMessage>): ReactNode {
  type OtherMessage = UIMessage<{ other: true }>;
  // @ts-expect-error: the timestamp reads a message type this chat does not have
  return Window({ chat, timestamp: (message: OtherMessage) => (message.metadata?.other ? 1 : 0) });
}

test('ChatWindow and the hooks take the app UIMessage type (checked by tsc)', () => {
  expectTypeOf<ChatWindowProps<MyMessage>['chat']>().toEqualTypeOf<CloudSignalChat<MyMessage>>();
  expectTypeOf<ChatWindowProps>().toEqualTypeOf<ChatWindowProps<UIMessage>>();
  const checks = [appWindow, toolRenderersByName, appHooks, plainUseChat, mismatched];
  expect(checks.every((check) => typeof check === 'function')).toBe(true);
});
