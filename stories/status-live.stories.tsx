import type { Meta, StoryObj } from '@storybook/react-vite';
import { expect, userEvent, waitFor, within } from 'storybook/test';
import { useCloudSignalChat } from '../src/hooks/use-cloudsignal-chat.js';
import { StatusIndicator } from '../src/components/status-indicator.js';
import { ReconnectBanner } from '../src/components/reconnect-banner.js';
import type { MockChatEnv, Scenario } from './support/mock-chat.js';
import { CHAT_ID, FaultControls } from './support/story-chat.js';
import { useMockChatEnv } from './support/use-mock-chat-env.js';
import { expectAccessible, expectAccessibleEverywhere } from './support/a11y.js';

/**
 * `StatusIndicator` and `ReconnectBanner` on their own, fed by the real transport on the mock
 * broker: every state here is produced by the library, not by props.
 */
function Indicators({ env }: { env: MockChatEnv }) {
  const chat = useCloudSignalChat({ id: CHAT_ID, transport: env.transports[0] });
  return (
    <div className="csk-root" style={{ height: 'auto' }}>
      <div style={{ display: 'flex', gap: 12, alignItems: 'center', padding: 12 }}>
        <StatusIndicator chat={chat} />
        <button type="button" className="csk-button" onClick={() => void chat.sendMessage({ text: 'Hello' })}>
          Ask something
        </button>
        <span data-testid="answer-length">{chat.messages.at(-1)?.role === 'assistant' ? 'answering' : 'waiting'}</span>
      </div>
      <ReconnectBanner chat={chat} />
    </div>
  );
}

function LiveIndicators({ scenario }: { scenario: Scenario }) {
  const env = useMockChatEnv(scenario);
  if (!env) return <p>Starting the mock broker…</p>;
  return (
    <>
      <FaultControls env={env} />
      <Indicators env={env} />
    </>
  );
}

const meta: Meta<typeof LiveIndicators> = {
  title: 'StatusIndicator & ReconnectBanner/On the mock broker',
  component: LiveIndicators,
  decorators: [(Story) => <div style={{ maxWidth: 760 }}>{<Story />}</div>],
};
export default meta;
type Story = StoryObj<typeof LiveIndicators>;

export const TurnLifecycleAndRecovery: Story = {
  args: { scenario: { thinkMs: 1_200, tokenDelayMs: 60, reconnectPeriod: 1_000 } },
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    const status = () => canvasElement.querySelector<HTMLElement>('[data-slot="status-indicator"]')!;
    await waitFor(() => expect(status()).toHaveTextContent('Connected'), { timeout: 10_000 });
    await userEvent.click(canvas.getByRole('button', { name: 'Ask something' }));
    await waitFor(() => expect(status()).toHaveTextContent('Connected · Thinking'), { timeout: 5_000 });
    // Passing states are checked where they are (six runs would outlast them); the frozen
    // StatusIndicator and ReconnectBanner stories check each at every width and theme.
    await expectAccessible(canvasElement);
    await waitFor(() => expect(status()).toHaveTextContent('Connected · Generating'), { timeout: 5_000 });
    // Drop the socket mid-answer: reconnecting, then recovered.
    await userEvent.click(canvas.getByRole('button', { name: 'Simulate network drop' }));
    await waitFor(() => expect(status()).toHaveTextContent('Reconnecting'));
    const banner = canvasElement.querySelector('[data-slot="reconnect-banner"]')!;
    await expect(banner).toHaveAttribute('data-state', 'reconnecting');
    await expectAccessible(canvasElement);
    await waitFor(() => expect(banner).toHaveTextContent('Reconnected. The answer is up to date.'), { timeout: 10_000 });
    await waitFor(() => expect(status()).toHaveTextContent('Connected · Done'), { timeout: 15_000 });
    await expectAccessibleEverywhere(canvasElement);
  },
};

export const CredentialsRefused: Story = {
  args: { scenario: { refuseBrowsers: true } },
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    const alert = await canvas.findByRole('alert', {}, { timeout: 10_000 });
    await expect(alert).toHaveTextContent(/refused your credentials/);
    await expect(canvasElement.querySelector('[data-slot="status-indicator"]')).toHaveTextContent('Connection failed');
    await expect(canvas.getByRole('button', { name: 'Retry now' })).toBeInTheDocument();
    await expectAccessibleEverywhere(canvasElement);
  },
};

export const BrokerDown: Story = {
  args: { scenario: { reconnectPeriod: 3_000 } },
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await waitFor(() => expect(canvasElement.querySelector('[data-slot="status-indicator"]')).toHaveTextContent('Connected'), { timeout: 10_000 });
    await userEvent.click(canvas.getByRole('button', { name: 'Take broker offline' }));
    await canvas.findByText(/next try in \d+ s/, {}, { timeout: 5_000 });
    await expect(canvasElement.querySelector('[data-slot="status-indicator"]')).toHaveTextContent('Reconnecting');
    await expectAccessibleEverywhere(canvasElement);
    await userEvent.click(canvas.getByRole('button', { name: 'Bring broker back' }));
    await userEvent.click(canvas.getByRole('button', { name: 'Retry now' }));
    await waitFor(() => expect(canvasElement.querySelector('[data-slot="status-indicator"]')).toHaveTextContent('Connected'), { timeout: 10_000 });
  },
};
