import { useEffect, useRef, useState } from 'react';
import type { UIMessage } from 'ai';
import {
  CloudSignalChatTransport,
  type CloudSignalChatTransportOptions,
} from '../transport/cloudsignal-chat-transport.js';
import type { ChatKitTransport } from './types.js';

/** A ready transport (owned by the caller) or the options to create one (owned by the hook). */
export type TransportInput<UI extends UIMessage = UIMessage> = ChatKitTransport<UI> | CloudSignalChatTransportOptions;

function isTransport<UI extends UIMessage>(input: TransportInput<UI>): input is ChatKitTransport<UI> {
  return typeof (input as ChatKitTransport<UI>).sendMessages === 'function';
}

/**
 * Returns a transport that lives as long as the component.
 *
 * - Given a transport instance, returns it unchanged and never closes it: the caller owns it.
 * - Given options, creates the transport once (later option changes are ignored, like `useState`'s
 *   initial value) and closes it on unmount. Under StrictMode's mount/unmount/mount the closed
 *   instance is replaced by a fresh one, so a remounted tree never holds a closed transport.
 */
export function useChatTransport<UI extends UIMessage = UIMessage>(input: TransportInput<UI>): ChatKitTransport<UI> {
  const external = isTransport(input) ? input : null;
  const optionsRef = useRef(input);
  optionsRef.current = input;
  const [owned, setOwned] = useState<ChatKitTransport<UI> | null>(() =>
    external ? null : (new CloudSignalChatTransport<UI>(input as CloudSignalChatTransportOptions) as ChatKitTransport<UI>),
  );
  const closedRef = useRef(false);

  useEffect(() => {
    if (external) return;
    let transport = owned;
    if (transport === null || closedRef.current) {
      closedRef.current = false;
      transport = new CloudSignalChatTransport<UI>(optionsRef.current as CloudSignalChatTransportOptions) as ChatKitTransport<UI>;
      setOwned(transport);
    }
    const current = transport;
    return () => {
      closedRef.current = true;
      current.close();
    };
    // `owned` is deliberately not a dependency: replacing it here must not close it again.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [external]);

  return external ?? (owned as ChatKitTransport<UI>);
}
