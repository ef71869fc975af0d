import { useEffect, useReducer, useRef } from 'react';
import type { UIMessage } from 'ai';
import {
  CloudSignalChatTransport,
  type CloudSignalChatTransportOptions,
} from '../transport/cloudsignal-chat-transport.js';
import type { ChatKitTransport } from './types.js';
import { createInertTransport } from './inert-transport.js';

/** A ready transport (owned by the caller) or the options to create one (owned by the hook). */
export type TransportInput<UI extends UIMessage = UIMessage> = ChatKitTransport<UI> | CloudSignalChatTransportOptions;

function isTransport<UI extends UIMessage>(input: TransportInput<UI>): input is ChatKitTransport<UI> {
  return typeof (input as ChatKitTransport<UI>).sendMessages === 'function';
}

function create<UI extends UIMessage>(options: CloudSignalChatTransportOptions): ChatKitTransport<UI> {
  return new CloudSignalChatTransport<UI>(options) as ChatKitTransport<UI>;
}

/**
 * Returns a transport that lives as long as the component.
 *
 * - Given a transport instance, returns it unchanged and never closes it: the caller owns it.
 * - Given options, creates the transport once (later option changes are ignored, like `useState`'s
 *   initial value) and closes it on unmount. Under StrictMode's mount/unmount/mount the closed
 *   instance is replaced by a fresh one, so a remounted tree never holds a closed transport, and
 *   exactly one instance is ever open. During server rendering no transport (and no socket) is
 *   created: an inert stand-in reports "connecting" until the client mounts.
 */
export function useChatTransport<UI extends UIMessage = UIMessage>(input: TransportInput<UI>): ChatKitTransport<UI> {
  const external = isTransport(input) ? input : null;
  const optionsRef = useRef(input);
  optionsRef.current = input;
  // A lazily initialised ref, not a state initializer: React calls state initializers twice under
  // StrictMode and would leak the discarded (already connecting) instance.
  const owned = useRef<ChatKitTransport<UI> | null>(null);
  const inert = useRef<ChatKitTransport<UI> | null>(null);
  const isServer = typeof window === 'undefined';
  if (!external && owned.current === null && !isServer) owned.current = create<UI>(input as CloudSignalChatTransportOptions);
  const [, rerender] = useReducer((n: number) => n + 1, 0);

  useEffect(() => {
    if (external) return;
    if (owned.current === null) {
      owned.current = create<UI>(optionsRef.current as CloudSignalChatTransportOptions);
      rerender();
    }
    const current = owned.current;
    return () => {
      current.close();
      if (owned.current === current) owned.current = null;
    };
  }, [external]);

  if (external) return external;
  if (owned.current) return owned.current;
  inert.current ??= createInertTransport<UI>();
  return inert.current;
}
