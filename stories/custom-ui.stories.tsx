import type { Meta, StoryObj } from '@storybook/react-vite';
import type { UIMessage } from 'ai';
import { expect, waitFor, within } from 'storybook/test';
import { useCloudSignalChat } from '../src/hooks/use-cloudsignal-chat.js';
import { useConnectionState } from '../src/hooks/use-connection-state.js';
import { useGenerationStatus } from '../src/hooks/use-generation-status.js';
import { useRecoveryState } from '../src/hooks/use-recovery-state.js';
import type { ChatKitTransport } from '../src/hooks/types.js';
import { ChatWindow } from '../src/components/chat-window.js';
import { ReconnectBanner } from '../src/components/reconnect-banner.js';
import { CHAT_ID, FaultControls } from './support/story-chat.js';
import { useMockChatEnv } from './support/use-mock-chat-env.js';
import { send } from './support/play.js';
import { expectAccessibleEverywhere } from './support/a11y.js';

/** A header built only from the small hooks, each reading one axis. */
function CustomHeader({ transport }: { transport: ChatKitTransport }) {
  const connection = useConnectionState(transport);
  const generation = useGenerationStatus(transport, CHAT_ID);
  const recovery = useRecoveryState(transport, CHAT_ID);
  return (
    <header style={{ display: 'flex', gap: 16, padding: '8px 12px', fontFamily: 'system-ui', fontSize: 13, borderBottom: '1px solid #ccc' }}>
      <strong>My own chat UI</strong>
      <span data-testid="socket">socket: {connection.status}</span>
      <span data-testid="worker">worker: {generation.status}</span>
      <span data-testid="recovered">recovered: {recovery.recoveredChunks}</span>
    </header>
  );
}

/** Module scope, so its identity is stable and settled rows are skipped on each token. */
const renderRow = (message: UIMessage, state: { streaming: boolean; canRegenerate: boolean }) => (
  <ChatWindow.Message message={message} streaming={state.streaming} canRegenerate={state.canRegenerate} data-custom-row="" />
);

/** The parts, composed differently: banner at the bottom, a custom message renderer, a custom jump button. */
function CustomUI() {
  const env = useMockChatEnv({ tokenDelayMs: 30 });
  if (!env) return <p>Starting the mock broker…</p>;
  return <Composed transport={env.transports[0]} env={env} />;
}

function Composed({ transport, env }: { transport: ChatKitTransport; env: NonNullable<ReturnType<typeof useMockChatEnv>> }) {
  const chat = useCloudSignalChat({ id: CHAT_ID, transport });
  return (
    <div style={{ display: 'flex', flexDirection: 'column', height: '100%' }}>
      <FaultControls env={env} />
      <ChatWindow.Root chat={chat} style={{ flex: 1 }} labels={{ send: 'Ask', inputPlaceholder: 'Ask the docs…' }}>
        <CustomHeader transport={transport} />
        <ChatWindow.Viewport>
          <ChatWindow.MessageList renderMessage={renderRow} />
        </ChatWindow.Viewport>
        <div className="csk-footer">
          <ChatWindow.JumpToLatest asChild>
            <a href="#latest" className="csk-jump">
              ↓ latest
            </a>
          </ChatWindow.JumpToLatest>
          <ChatWindow.Composer />
        </div>
        <ReconnectBanner chat={chat} />
      </ChatWindow.Root>
    </div>
  );
}

const meta: Meta<typeof CustomUI> = { title: 'Hooks/Custom UI from hooks', component: CustomUI };
export default meta;

export const ComposedFromHooksAndParts: StoryObj<typeof CustomUI> = {
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await waitFor(() => expect(canvas.getByTestId('socket')).toHaveTextContent('socket: connected'), { timeout: 10_000 });
    await expect(canvas.getByRole('button', { name: 'Ask' })).toBeInTheDocument();
    await send(canvasElement, 'Custom question');
    await waitFor(() => expect(canvas.getByTestId('worker')).toHaveTextContent(/worker: (thinking|generating)/), { timeout: 5_000 });
    await waitFor(() => expect(canvas.getByTestId('worker')).toHaveTextContent('worker: done'), { timeout: 15_000 });
    await expect(canvasElement.querySelectorAll('[data-custom-row]')).toHaveLength(2);
    await expectAccessibleEverywhere(canvasElement);
  },
};
