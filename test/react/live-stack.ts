/**
 * Set-up shared by the React tests that run on live pieces (the mock broker, a chat worker, real
 * transports) rather than on a fake transport.
 */
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { ChatWorker } from '../../src/server/index.js';
import type { MockBroker } from '../../src/testing/index.js';
import type { CloudSignalChatTransport } from '../../src/transport/index.js';

/**
 * Updates come from live sockets and timers, not from the test's own actions, so there is nothing
 * to wrap in act(): the tests of the file wait on what the DOM or the hook shows instead.
 */
export function withoutActEnvironment(): void {
  const environment = globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean };
  beforeAll(() => {
    environment.IS_REACT_ACT_ENVIRONMENT = false;
  });
  afterAll(() => {
    environment.IS_REACT_ACT_ENVIRONMENT = true;
  });
}

/** What one test started: closed after each test, transports first, then the worker and the broker. */
export interface LiveStack {
  broker?: MockBroker;
  worker?: ChatWorker;
  transports: CloudSignalChatTransport[];
}

/** A {@link LiveStack} the file's tests fill in, torn down after each of them. */
export function liveStack(beforeClose?: () => void | Promise<void>): LiveStack {
  const stack: LiveStack = { transports: [] };
  afterEach(async () => {
    await beforeClose?.();
    for (const transport of stack.transports.splice(0)) transport.close();
    await stack.worker?.close();
    stack.broker?.close();
    stack.worker = undefined;
    stack.broker = undefined;
  });
  return stack;
}
