import type { Meta, StoryObj } from '@storybook/react-vite';
import { useState } from 'react';
import { expect, userEvent, waitFor, within } from 'storybook/test';
import type { ChatListState, ChatSummary } from '../src/hooks/types.js';
import { ChatList } from '../src/components/chat-list.js';
import { expectAccessibleEverywhere } from './support/a11y.js';

const CHATS: ChatSummary[] = [
  { chatId: 'c4', title: 'Weekend trip to Oslo: trains, hotels and a very long title that has to be cut', createdAt: 4, updatedAt: 40 },
  { chatId: 'c3', title: 'MQTT QoS levels', createdAt: 3, updatedAt: 30 },
  { chatId: 'c2', title: 'Invoice question', createdAt: 2, updatedAt: 20 },
  { chatId: 'c1', title: '', createdAt: 1, updatedAt: 10 },
];

interface DemoProps {
  status: ChatListState['status'];
  chats: ChatSummary[];
  theme?: 'light' | 'dark' | 'system';
}

/** `<ChatList>` over an in-memory list whose rename and delete work, as `useChatList()` would. */
function ChatListDemo({ status, chats, theme }: DemoProps) {
  const [items, setItems] = useState(chats);
  const [active, setActive] = useState<string | null>(chats[1]?.chatId ?? null);
  const list: ChatListState = {
    status,
    chats: items,
    rename: async (chatId, title) => setItems((all) => all.map((c) => (c.chatId === chatId ? { ...c, title } : c))),
    remove: async (chatId) => setItems((all) => all.filter((c) => c.chatId !== chatId)),
  };
  const newChat = () => {
    const chatId = `c${Date.now()}`;
    setItems((all) => [{ chatId, title: 'New chat', createdAt: Date.now(), updatedAt: Date.now() }, ...all]);
    setActive(chatId);
  };
  return (
    <div style={{ width: 280, height: '100%' }}>
      <ChatList list={list} activeChatId={active} onSelect={setActive} onNewChat={newChat} theme={theme} style={{ height: '100%' }} />
    </div>
  );
}

/**
 * The user's chats, newest first: New chat, select, rename inline, delete with confirmation.
 * Keyboard: Tab reaches the active chat; Up/Down/Home/End move; Tab again reaches its actions.
 */
const meta: Meta<typeof ChatListDemo> = {
  title: 'ChatList',
  component: ChatListDemo,
  tags: ['autodocs'],
  args: { status: 'ready', chats: CHATS },
  argTypes: { status: { control: 'inline-radio', options: ['loading', 'ready', 'error'] } },
};
export default meta;
type Story = StoryObj<typeof ChatListDemo>;

export const Ready: Story = {
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await expect(canvas.getByRole('button', { name: 'MQTT QoS levels' })).toHaveAttribute('aria-current', 'page');
    await expect(canvas.getByRole('button', { name: 'Untitled chat' })).toBeInTheDocument();
    await expectAccessibleEverywhere(canvasElement);
  },
};

export const KeyboardNavigation: Story = {
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    canvas.getByRole('button', { name: 'MQTT QoS levels' }).focus();
    await userEvent.keyboard('{ArrowDown}');
    await expect(document.activeElement).toBe(canvas.getByRole('button', { name: 'Invoice question' }));
    await userEvent.keyboard('{End}');
    await expect(document.activeElement).toBe(canvas.getByRole('button', { name: 'Untitled chat' }));
  },
};

export const Renamed: Story = {
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await userEvent.click(canvas.getByRole('button', { name: 'Rename Invoice question' }));
    const input = canvas.getByRole('textbox', { name: 'Chat title' });
    await userEvent.clear(input);
    await userEvent.type(input, 'Invoice 2026-114{Enter}');
    await waitFor(() => expect(canvas.getByRole('button', { name: 'Invoice 2026-114' })).toHaveFocus());
  },
};

export const ConfirmingDelete: Story = {
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await userEvent.click(canvas.getByRole('button', { name: 'Delete Invoice question' }));
    await expect(canvas.getByRole('group', { name: 'Delete “Invoice question”?' })).toBeInTheDocument();
    await expectAccessibleEverywhere(canvasElement);
  },
};

export const Loading: Story = {
  args: { status: 'loading', chats: [] },
  play: async ({ canvasElement }) => {
    await expect(within(canvasElement).getByRole('status')).toHaveTextContent('Loading chats…');
    await expectAccessibleEverywhere(canvasElement);
  },
};

export const Empty: Story = {
  args: { chats: [] },
  play: async ({ canvasElement }) => {
    await expect(canvasElement).toHaveTextContent('No chats yet.');
    await expectAccessibleEverywhere(canvasElement);
  },
};

export const Error: Story = {
  args: { status: 'error', chats: [] },
  play: async ({ canvasElement }) => {
    await expect(within(canvasElement).getByRole('alert')).toHaveTextContent('The chats could not be loaded.');
  },
};

export const Dark: Story = {
  args: { theme: 'dark' },
  play: async ({ canvasElement }) => {
    await expect(canvasElement.querySelector('[data-slot="chat-list"]')).toHaveAttribute('data-theme', 'dark');
    await expectAccessibleEverywhere(canvasElement);
  },
};
