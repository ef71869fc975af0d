import type { Meta, StoryObj } from '@storybook/react-vite';
import { useEffect, useState } from 'react';
import { expect, userEvent, waitFor, within, fn } from 'storybook/test';
import { ReconnectBanner } from '../src/components/reconnect-banner.js';
import type { ConnectionSnapshot } from '../src/transport/connection-state.js';
import type { RecoverySnapshot } from '../src/transport/chat-activity.js';
import { expectAccessibleEverywhere } from './support/a11y.js';

const noRecovery: RecoverySnapshot = { resuming: false, recoveredChunks: 0, lastRecoveredAt: null, droppedAt: null };

/**
 * Drives the banner through a drop from a connected start, as the transport would, so each
 * state is shown exactly as users meet it.
 */
type After = Partial<Omit<ConnectionSnapshot, 'nextRetryAt'>> & { /** Next automatic attempt, ms from now. */ retryInMs?: number };

function BannerDemo({ after, recovery = noRecovery, retry }: { after: After; recovery?: RecoverySnapshot; retry: () => void }) {
  const [connection, setConnection] = useState<ConnectionSnapshot>({ status: 'connected', attempt: 0, nextRetryAt: null, lastError: null, connectedAt: Date.now() - 60_000 });
  const [rec, setRec] = useState(noRecovery);
  useEffect(() => {
    setConnection((c) => ({ ...c, status: 'reconnecting', attempt: 1 }));
    const timer = setTimeout(() => {
      const at = Date.now();
      const { retryInMs, ...rest } = after;
      setConnection((c) => ({
        ...c,
        ...rest,
        nextRetryAt: retryInMs === undefined ? null : at + retryInMs,
        connectedAt: rest.status === 'connected' ? at : c.connectedAt,
      }));
      if (recovery !== noRecovery) setRec({ ...recovery, lastRecoveredAt: recovery.lastRecoveredAt === null ? null : at + 1 });
    }, 50);
    return () => clearTimeout(timer);
  }, [after, recovery]);
  return (
    <div className="csk-root" style={{ height: 'auto' }}>
      <ReconnectBanner connection={{ ...connection, retry }} recovery={rec} />
    </div>
  );
}

const meta: Meta<typeof BannerDemo> = {
  title: 'ReconnectBanner',
  // Docs describe ReconnectBanner's props; each story drives it through a connection change (BannerDemo).
  component: ReconnectBanner as unknown as typeof BannerDemo,
  render: (args) => <BannerDemo {...args} />,
  tags: ['autodocs'],
  args: { retry: fn() },
};
export default meta;
type Story = StoryObj<typeof BannerDemo>;

export const ReconnectingWithCountdown: Story = {
  args: { after: { status: 'reconnecting', attempt: 3, retryInMs: 5_000 } },
  play: async ({ canvasElement, args }) => {
    const canvas = within(canvasElement);
    await waitFor(() => expect(canvas.getByText(/Attempt 3/)).toBeInTheDocument());
    await expect(canvas.getByRole('status')).toHaveTextContent('Connection lost. Reconnecting…');
    await waitFor(() => expect(canvas.getByText(/next try in [1-4] s/)).toBeInTheDocument(), { timeout: 3_000 });
    await userEvent.click(canvas.getByRole('button', { name: 'Retry now' }));
    await expect(args.retry).toHaveBeenCalledTimes(1);
    await expectAccessibleEverywhere(canvasElement);
  },
};

export const BrokerUnreachable: Story = {
  args: { after: { status: 'reconnecting', attempt: 5, retryInMs: 20_000, lastError: { kind: 'unreachable', message: 'ECONNREFUSED' } } },
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await waitFor(() => expect(canvas.getByRole('alert')).toHaveTextContent('The chat service cannot be reached.'));
    await expectAccessibleEverywhere(canvasElement);
  },
};

export const AuthRefused: Story = {
  args: { after: { status: 'error', lastError: { kind: 'auth', message: 'not authorized' } } },
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await waitFor(() => expect(canvas.getByRole('alert')).toHaveTextContent(/refused your credentials/));
    await expect(canvas.queryByText(/next try/)).toBeNull();
    await expectAccessibleEverywhere(canvasElement);
  },
};

export const BrowserOffline: Story = {
  args: { after: { status: 'offline' } },
  play: async ({ canvasElement }) => {
    await waitFor(() => expect(within(canvasElement).getByRole('status')).toHaveTextContent(/You are offline/));
    await expectAccessibleEverywhere(canvasElement);
  },
};

export const RecoveredAfterReconnect: Story = {
  args: { after: { status: 'connected', attempt: 0 }, recovery: { resuming: false, recoveredChunks: 57, lastRecoveredAt: 0, droppedAt: null } },
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await waitFor(() => expect(canvas.getByRole('status')).toHaveTextContent('Reconnected. The answer is up to date.'));
    await expectAccessibleEverywhere(canvasElement);
    await userEvent.click(canvas.getByRole('button', { name: 'Dismiss' }));
    await expect(canvas.getByRole('status')).toHaveTextContent('');
  },
};
