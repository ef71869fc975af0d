import { describe, expect, it, vi } from 'vitest';
import { useState } from 'react';
import { act, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { ChatListState, ChatSummary } from '../../src/hooks/types.js';
import { ChatList } from '../../src/components/chat-list.js';
import { expectNoAxeViolations } from './axe.js';

const chats: ChatSummary[] = [
  { chatId: 'c3', title: 'Trip to Oslo', createdAt: 3, updatedAt: 30 },
  { chatId: 'c2', title: 'MQTT QoS', createdAt: 2, updatedAt: 20 },
  { chatId: 'c1', title: 'Invoice question', createdAt: 1, updatedAt: 10 },
];

/** A list whose rename and remove change what it shows, as `useChatList()` does. */
function Harness({ status = 'ready', initial = chats, spy }: { status?: ChatListState['status']; initial?: ChatSummary[]; spy?: { rename?: (id: string, t: string) => void; remove?: (id: string) => void; select?: (id: string) => void; newChat?: () => void } }) {
  const [items, setItems] = useState(initial);
  const [active, setActive] = useState<string | null>('c2');
  const list: ChatListState = {
    status,
    chats: items,
    rename: async (chatId, title) => {
      spy?.rename?.(chatId, title);
      setItems((all) => all.map((c) => (c.chatId === chatId ? { ...c, title } : c)));
    },
    remove: async (chatId) => {
      spy?.remove?.(chatId);
      setItems((all) => all.filter((c) => c.chatId !== chatId));
    },
  };
  return (
    <ChatList
      list={list}
      activeChatId={active}
      onSelect={(id) => {
        spy?.select?.(id);
        setActive(id);
      }}
      onNewChat={spy?.newChat}
    />
  );
}

const item = (name: string) => screen.getByRole('button', { name });

describe('ChatList', () => {
  it('a named navigation with the active chat marked; click selects, New chat creates', async () => {
    const user = userEvent.setup();
    const select = vi.fn();
    const newChat = vi.fn();
    const { container } = render(<Harness spy={{ select, newChat }} />);
    expect(screen.getByRole('navigation', { name: 'Chats' })).toBeTruthy();
    expect(item('MQTT QoS').getAttribute('aria-current')).toBe('page');
    expect(item('MQTT QoS').getAttribute('data-state')).toBe('active');
    expect(item('Trip to Oslo').getAttribute('data-state')).toBe('inactive');
    await expectNoAxeViolations(container);
    await user.click(item('Trip to Oslo'));
    expect(select).toHaveBeenCalledWith('c3');
    expect(item('Trip to Oslo').getAttribute('aria-current')).toBe('page');
    await user.click(screen.getByRole('button', { name: 'New chat' }));
    expect(newChat).toHaveBeenCalledTimes(1);
  });

  it('roving tabindex: one chat in the tab order; arrows, Home and End move between chats', async () => {
    const user = userEvent.setup();
    render(<Harness />);
    const items = [item('Trip to Oslo'), item('MQTT QoS'), item('Invoice question')];
    expect(items.map((i) => i.tabIndex)).toEqual([-1, 0, -1]); // the active chat is the tab stop
    await user.tab(); // New chat
    await user.tab();
    expect(document.activeElement).toBe(items[1]);
    await user.keyboard('{ArrowDown}');
    expect(document.activeElement).toBe(items[2]);
    expect(items.map((i) => i.tabIndex)).toEqual([-1, -1, 0]);
    await user.keyboard('{ArrowDown}'); // stays at the end
    expect(document.activeElement).toBe(items[2]);
    await user.keyboard('{Home}');
    expect(document.activeElement).toBe(items[0]);
    await user.keyboard('{End}');
    expect(document.activeElement).toBe(items[2]);
    await user.keyboard('{ArrowUp}');
    expect(document.activeElement).toBe(items[1]);
    // Tab goes to this chat's own actions, then out of the list.
    await user.tab();
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Rename MQTT QoS' }));
  });

  it('rename inline: Enter saves through list.rename, focus returns to the chat', async () => {
    const user = userEvent.setup();
    const rename = vi.fn();
    render(<Harness spy={{ rename }} />);
    await user.click(screen.getByRole('button', { name: 'Rename Trip to Oslo' }));
    const input = screen.getByRole('textbox', { name: 'Chat title' }) as HTMLInputElement;
    expect(document.activeElement).toBe(input);
    await user.clear(input);
    await user.type(input, 'Trip to Bergen{Enter}');
    await act(async () => undefined);
    expect(rename).toHaveBeenCalledTimes(1);
    expect(rename).toHaveBeenCalledWith('c3', 'Trip to Bergen');
    expect(document.activeElement).toBe(item('Trip to Bergen'));
  });

  it('Escape cancels a rename', async () => {
    const user = userEvent.setup();
    const rename = vi.fn();
    render(<Harness spy={{ rename }} />);
    await user.click(screen.getByRole('button', { name: 'Rename Trip to Oslo' }));
    await user.keyboard('Nope{Escape}');
    expect(rename).not.toHaveBeenCalled();
    expect(item('Trip to Oslo')).toBeTruthy();
  });

  it('delete asks first, then removes through list.remove and focuses the next chat', async () => {
    const user = userEvent.setup();
    const remove = vi.fn();
    render(<Harness spy={{ remove }} />);
    await user.click(screen.getByRole('button', { name: 'Delete Trip to Oslo' }));
    const confirm = screen.getByRole('group', { name: 'Delete “Trip to Oslo”?' });
    expect(remove).not.toHaveBeenCalled();
    await user.click(within(confirm).getByRole('button', { name: 'Delete' }));
    await act(async () => undefined);
    expect(remove).toHaveBeenCalledWith('c3');
    expect(screen.queryByRole('button', { name: 'Trip to Oslo' })).toBeNull();
    expect(document.activeElement).toBe(item('MQTT QoS'));
  });

  it('loading, error and empty states say so', async () => {
    const { rerender, container } = render(<Harness status="loading" initial={[]} />);
    expect(screen.getByRole('status').textContent).toBe('Loading chats…');
    await expectNoAxeViolations(container);
    rerender(<Harness status="error" initial={[]} />);
    expect(screen.getByRole('alert').textContent).toBe('The chats could not be loaded.');
    rerender(<Harness status="ready" initial={[]} />);
    expect(screen.getByText('No chats yet.')).toBeTruthy();
  });

  it('asChild renders a chat as the app’s own link, keeping state and roving focus', () => {
    const list: ChatListState = { status: 'ready', chats, rename: async () => undefined, remove: async () => undefined };
    render(
      <ChatList.Root list={list} activeChatId="c1" onSelect={() => undefined}>
        <ChatList.Items
          renderItem={(chat) => (
            <ChatList.Item chat={chat} asChild actions={false}>
              <a href={`/chats/${chat.chatId}`}>{chat.title}</a>
            </ChatList.Item>
          )}
        />
      </ChatList.Root>,
    );
    const link = screen.getByRole('link', { name: 'Invoice question' });
    expect(link.getAttribute('href')).toBe('/chats/c1');
    expect(link.getAttribute('data-state')).toBe('active');
    expect(link.getAttribute('aria-current')).toBe('page');
    expect(link.tabIndex).toBe(0);
    expect(screen.getByRole('link', { name: 'Trip to Oslo' }).tabIndex).toBe(-1);
  });
});
