import type { Meta, StoryObj } from '@storybook/react-vite';
import { useState } from 'react';
import { expect, userEvent, waitFor, within } from 'storybook/test';
import { DeviceChat, FaultControls } from './support/story-chat.js';
import { useMockChatEnv } from './support/use-mock-chat-env.js';
import { assistantRows, send } from './support/play.js';
import { expectAccessibleEverywhere } from './support/a11y.js';

/** Two devices of the same user on the same chat: a turn started on one streams on both. */
function TwoWindows() {
  const env = useMockChatEnv({ devices: 2, tokenDelayMs: 40 });
  if (!env) return <p>Starting the mock broker…</p>;
  return (
    <div style={{ display: 'grid', gridTemplateColumns: '1fr 1fr', gap: 12, height: '100%' }}>
      <section aria-label="Laptop" style={{ display: 'flex', flexDirection: 'column', minHeight: 0 }}>
        <FaultControls env={env} device={0} />
        <div style={{ flex: 1, minHeight: 0 }} data-device="laptop">
          <DeviceChat env={env} device={0} title="Laptop" />
        </div>
      </section>
      <section aria-label="Phone" style={{ display: 'flex', flexDirection: 'column', minHeight: 0 }}>
        <div style={{ flex: 1, minHeight: 0 }} data-device="phone">
          <DeviceChat env={env} device={1} title="Phone" />
        </div>
      </section>
    </div>
  );
}

const meta: Meta<typeof TwoWindows> = { title: 'ChatWindow/Multi-device', component: TwoWindows };
export default meta;

export const TwoWindowsSameChat: StoryObj<typeof TwoWindows> = {
  parameters: { layout: 'fullscreen' },
  decorators: [
    (Story) => (
      <div style={{ height: 560, padding: 12, maxWidth: 'none' }}>
        <Story />
      </div>
    ),
  ],
  play: async ({ canvasElement }) => {
    await send(canvasElement, 'Asked on the laptop', 0);
    const laptop = canvasElement.querySelector<HTMLElement>('[data-device="laptop"]')!;
    const phone = canvasElement.querySelector<HTMLElement>('[data-device="phone"]')!;
    // The phone shows the laptop's question, then the answer streams in live.
    await waitFor(() => expect(within(phone).getByRole('log')).toHaveTextContent('Asked on the laptop'), { timeout: 10_000 });
    await waitFor(() => expect(within(phone).getByRole('log')).toHaveAttribute('aria-busy', 'true'), { timeout: 5_000 });
    await waitFor(() => expect(within(phone).getByRole('log')).toHaveTextContent(/That is all\./), { timeout: 15_000 });
    await waitFor(() => expect(within(laptop).getByRole('log')).toHaveTextContent(/That is all\./), { timeout: 15_000 });
    // Same answer, once, on both.
    await expect(assistantRows(phone)).toHaveLength(1);
    await expect(assistantRows(phone)[0].textContent).toBe(assistantRows(laptop)[0].textContent);
    // Two windows on one page: landmarks and names stay unique at every width and theme.
    await expectAccessibleEverywhere(canvasElement);
  },
};

/** The phone opens the chat while the laptop's answer is streaming: it shows the partial answer at once, then follows live. */
function LateJoin() {
  const env = useMockChatEnv({ devices: 2, tokenDelayMs: 60 });
  const [phoneOpen, setPhoneOpen] = useState(false);
  if (!env) return <p>Starting the mock broker…</p>;
  return (
    <div style={{ display: 'grid', gridTemplateColumns: '1fr 1fr', gap: 12, height: '100%' }}>
      <div style={{ minHeight: 0 }} data-device="laptop">
        <DeviceChat env={env} device={0} title="Laptop" />
      </div>
      <div style={{ minHeight: 0 }} data-device="phone">
        {phoneOpen ? (
          <DeviceChat env={env} device={1} title="Phone" />
        ) : (
          <button type="button" onClick={() => setPhoneOpen(true)}>
            Open the chat on the phone
          </button>
        )}
      </div>
    </div>
  );
}

export const LateJoinMidTurn: StoryObj<typeof LateJoin> = {
  render: () => <LateJoin />,
  parameters: { layout: 'fullscreen' },
  decorators: [
    (Story) => (
      <div style={{ height: 560, padding: 12 }}>
        <Story />
      </div>
    ),
  ],
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await send(canvasElement, 'Start on the laptop', 0);
    const laptop = canvasElement.querySelector<HTMLElement>('[data-device="laptop"]')!;
    await waitFor(() => expect(assistantRows(laptop)[0]).toHaveTextContent(/short answer/), { timeout: 10_000 });
    await userEvent.click(canvas.getByRole('button', { name: 'Open the chat on the phone' }));
    const phone = canvasElement.querySelector<HTMLElement>('[data-device="phone"]')!;
    // The whole partial answer appears at once, before the laptop has finished.
    await waitFor(() => expect(assistantRows(phone)[0]).toHaveTextContent(/short answer/), { timeout: 5_000 });
    await expect(within(laptop).getByRole('log')).toHaveAttribute('aria-busy', 'true');
    await expect(within(phone).getByRole('log')).toHaveTextContent('Start on the laptop');
    await waitFor(() => expect(within(phone).getByRole('log')).toHaveTextContent(/That is all\./), { timeout: 15_000 });
    await waitFor(() => expect(within(laptop).getByRole('log')).toHaveTextContent(/That is all\./), { timeout: 15_000 });
    await expect(assistantRows(phone)[0].textContent).toBe(assistantRows(laptop)[0].textContent);
    await expectAccessibleEverywhere(canvasElement);
  },
};
