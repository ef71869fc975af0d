import type { Meta, StoryObj } from '@storybook/react-vite';
import { expect, within } from 'storybook/test';
import { StatusIndicator } from '../src/components/status-indicator.js';
import { expectAccessibleEverywhere } from './support/a11y.js';

/** Connection and generation state as text (the dot is decoration), in a `role="status"`. */
const meta: Meta<typeof StatusIndicator> = {
  tags: ['autodocs'],
  title: 'StatusIndicator',
  component: StatusIndicator,
  decorators: [
    (Story) => (
      <div className="csk-root" style={{ height: 'auto', padding: 12 }}>
        <Story />
      </div>
    ),
  ],
};
export default meta;
type Story = StoryObj<typeof StatusIndicator>;

const story = (connection: 'connecting' | 'connected' | 'reconnecting' | 'offline' | 'error', generation: 'idle' | 'queued' | 'thinking' | 'generating' | 'done' | 'error' | 'aborted', text: string): Story => ({
  args: { connection: { status: connection }, generation: { status: generation } },
  play: async ({ canvasElement }) => {
    await expect(within(canvasElement).getByRole('status')).toHaveTextContent(text);
    await expectAccessibleEverywhere(canvasElement);
  },
});

export const Connecting = story('connecting', 'idle', 'Connecting');
export const Ready = story('connected', 'idle', 'Connected');
export const Queued = story('connected', 'queued', 'Connected · Queued');
export const Thinking = story('connected', 'thinking', 'Connected · Thinking');
export const Generating = story('connected', 'generating', 'Connected · Generating');
export const Done = story('connected', 'done', 'Connected · Done');
export const TurnError = story('connected', 'error', 'Connected · Error');
export const Stopped = story('connected', 'aborted', 'Connected · Stopped');
export const Reconnecting = story('reconnecting', 'generating', 'Reconnecting');
export const Offline = story('offline', 'idle', 'Offline');
export const ConnectionFailed = story('error', 'idle', 'Connection failed');
