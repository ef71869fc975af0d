import { useEffect, useState } from 'react';
import { createMockChatEnv, type MockChatEnv, type Scenario } from './mock-chat.js';

/** Creates the story's broker, worker and transports on mount and tears them down on unmount. */
export function useMockChatEnv(scenario: Scenario): MockChatEnv | null {
  const [env, setEnv] = useState<MockChatEnv | null>(null);
  useEffect(() => {
    let live = true;
    let created: MockChatEnv | null = null;
    void createMockChatEnv(scenario).then((e) => {
      created = e;
      if (live) setEnv(e);
      else void e.dispose();
    });
    return () => {
      live = false;
      if (created) void created.dispose();
    };
    // A scenario is fixed for the life of a story.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  return env;
}
