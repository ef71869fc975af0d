/**
 * Versions that outlive the page: ChatWindow over the real stack (mock broker, a worker with a
 * chat store, the transport). An edit and a regeneration on one device leave `‹ 2/2 ›` pagers
 * that a second device and a reload of the first show too, and paging back shows what was said.
 */
import { describe, expect, it } from 'vitest';
import { cleanup, render, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { createChatWorker } from '../../src/server/index.js';
import { createMemoryChatStore } from '../../src/server/store/memory-chat-store.js';
import { createMockBroker, scriptedChunkStream, type MockBroker } from '../../src/testing/index.js';
import { CloudSignalChatTransport, createMemoryStorage, type KeyValueStorage } from '../../src/transport/index.js';
import { useCloudSignalChat } from '../../src/hooks/use-cloudsignal-chat.js';
import { ChatWindow } from '../../src/components/chat-window.js';
import { liveStack, withoutActEnvironment } from './live-stack.js';

const WAIT = { timeout: 20_000 };
withoutActEnvironment();
const stack = liveStack(cleanup);

let devices = 0;
function open(broker: MockBroker, storage: KeyValueStorage) {
  const transport = new CloudSignalChatTransport({ client: broker.connect({ clientId: `device-${++devices}` }), userId: 'ann', trigger: 'mqtt', storage, queryRetryMs: 300 });
  stack.transports.push(transport);
  return transport;
}

function App({ transport, id = 'c-versions' }: { transport: CloudSignalChatTransport; id?: string }) {
  const chat = useCloudSignalChat({ id, transport });
  return <ChatWindow chat={chat} />;
}

/** The mock broker and a worker on a memory chat store whose turn n answers "answer n". */
async function startStack(): Promise<MockBroker> {
  const broker = (stack.broker = createMockBroker());
  let turn = 0;
  stack.worker = await createChatWorker({
    client: broker.connect({ clientId: 'worker-1' }),
    store: createMemoryChatStore(),
    handler: ({ abortSignal }) => scriptedChunkStream({ text: `answer ${++turn}`, tokenDelayMs: 1, signal: abortSignal }),
    rateLimit: false,
  });
  return broker;
}

const rowsText = (container: HTMLElement) => [...container.querySelectorAll('[data-slot="message-body"]')].map((b) => b.textContent);
const rows = (container: HTMLElement, role: 'user' | 'assistant') => [...container.querySelectorAll<HTMLElement>(`[data-slot="message"][data-role="${role}"]`)];

describe('ChatWindow versions from the chat store', () => {
  it('an edit and a regeneration keep their earlier versions on every device and across a reload', async () => {
    const broker = await startStack();
    const user = userEvent.setup();
    const laptopStorage = createMemoryStorage();
    const laptop = render(<App transport={open(broker, laptopStorage)} />);
    const input = within(laptop.container).getByRole('textbox', { name: 'Message' });
    await user.type(input, 'Capital of Norway?{Enter}');
    await waitFor(() => expect(rowsText(laptop.container)).toEqual(['Capital of Norway?', 'answer 1']), WAIT);
    await waitFor(() => expect(within(rows(laptop.container, 'user')[0]).getByRole('button', { name: 'Edit' })).toBeTruthy(), WAIT);

    // Edit the prompt, then regenerate its new answer.
    await user.click(within(rows(laptop.container, 'user')[0]).getByRole('button', { name: 'Edit' }));
    const editor = within(laptop.container).getByRole('textbox', { name: 'Edit your message' });
    await user.clear(editor);
    await user.type(editor, 'Capital of Sweden?{Enter}');
    await waitFor(() => expect(rowsText(laptop.container)).toEqual(['Capital of Sweden?', 'answer 2']), WAIT);
    const regenerate = await within(laptop.container).findByRole('button', { name: 'Regenerate' }, WAIT);
    await user.click(regenerate);
    await waitFor(() => expect(rowsText(laptop.container)).toEqual(['Capital of Sweden?', 'answer 3']), WAIT);

    const expectPagers = async (container: HTMLElement) => {
      await within(rows(container, 'user')[0]).findByRole('group', { name: 'Version 2 of 2' }, WAIT);
      await within(rows(container, 'assistant')[0]).findByRole('group', { name: 'Version 2 of 2' }, WAIT);
    };
    await expectPagers(laptop.container);

    // A phone opening the chat for the first time: the same pagers, and paging back shows what was said.
    const phone = render(<App transport={open(broker, createMemoryStorage())} />);
    await waitFor(() => expect(rowsText(phone.container)).toEqual(['Capital of Sweden?', 'answer 3']), WAIT);
    await expectPagers(phone.container);
    const answerPager = within(rows(phone.container, 'assistant')[0]).getByRole('group', { name: 'Version 2 of 2' });
    // useChat shows a switch on its render throttle, not synchronously: wait for the rows.
    await user.click(within(answerPager).getByRole('button', { name: 'Previous version' }));
    await waitFor(() => expect(rowsText(phone.container)).toEqual(['Capital of Sweden?', 'answer 2']), WAIT);
    const promptPager = within(rows(phone.container, 'user')[0]).getByRole('group', { name: 'Version 2 of 2' });
    await user.click(within(promptPager).getByRole('button', { name: 'Previous version' }));
    await waitFor(() => expect(rowsText(phone.container)).toEqual(['Capital of Norway?', 'answer 1']), WAIT);
    phone.unmount();

    // The laptop reloads (same storage, a new transport): the pagers are still there.
    laptop.unmount();
    const laptopAgain = open(broker, laptopStorage);
    const reloaded = render(<App transport={laptopAgain} />);
    await waitFor(() => expect(rowsText(reloaded.container)).toEqual(['Capital of Sweden?', 'answer 3']), WAIT);
    await expectPagers(reloaded.container);

    // The same window opens another chat: its first prompt has no pager (the edited first prompt's
    // versions belong to the other chat), and going back brings them again.
    reloaded.rerender(<App transport={laptopAgain} id="c-other" />);
    await waitFor(() => expect(rowsText(reloaded.container)).toEqual([]), WAIT);
    await user.type(within(reloaded.container).getByRole('textbox', { name: 'Message' }), 'Hello?{Enter}');
    await waitFor(() => expect(rowsText(reloaded.container)).toEqual(['Hello?', 'answer 4']), WAIT);
    await within(reloaded.container).findByRole('button', { name: 'Regenerate' }, WAIT);
    expect(within(reloaded.container).queryByRole('group', { name: /^Version/ })).toBeNull();
    reloaded.rerender(<App transport={laptopAgain} />);
    await waitFor(() => expect(rowsText(reloaded.container)).toEqual(['Capital of Sweden?', 'answer 3']), WAIT);
    await expectPagers(reloaded.container);
  });

  it('answers regenerated before an edit stay with the old prompt: never a pager over the new prompt’s answer', async () => {
    const broker = await startStack();
    const user = userEvent.setup();
    const laptop = render(<App transport={open(broker, createMemoryStorage())} />);
    await user.type(within(laptop.container).getByRole('textbox', { name: 'Message' }), 'Capital of Norway?{Enter}');
    await waitFor(() => expect(rowsText(laptop.container)).toEqual(['Capital of Norway?', 'answer 1']), WAIT);
    await user.click(await within(laptop.container).findByRole('button', { name: 'Regenerate' }, WAIT));
    await waitFor(() => expect(rowsText(laptop.container)).toEqual(['Capital of Norway?', 'answer 2']), WAIT);
    await within(rows(laptop.container, 'user')[0]).findByRole('button', { name: 'Edit' }, WAIT);
    await user.click(within(rows(laptop.container, 'user')[0]).getByRole('button', { name: 'Edit' }));
    const editor = within(laptop.container).getByRole('textbox', { name: 'Edit your message' });
    await user.clear(editor);
    await user.type(editor, 'Capital of Sweden?{Enter}');
    await waitFor(() => expect(rowsText(laptop.container)).toEqual(['Capital of Sweden?', 'answer 3']), WAIT);

    // On this device, and on one that opens the chat afterwards: the new answer has no versions;
    // the old prompt brings its two answers back.
    const phone = render(<App transport={open(broker, createMemoryStorage())} />);
    await waitFor(() => expect(rowsText(phone.container)).toEqual(['Capital of Sweden?', 'answer 3']), WAIT);
    for (const container of [laptop.container, phone.container]) {
      const promptPager = await within(rows(container, 'user')[0]).findByRole('group', { name: 'Version 2 of 2' }, WAIT);
      await within(rows(container, 'assistant')[0]).findByRole('button', { name: 'Regenerate' }, WAIT);
      expect(within(rows(container, 'assistant')[0]).queryByRole('group', { name: /^Version/ })).toBeNull();
      await user.click(within(promptPager).getByRole('button', { name: 'Previous version' }));
      await waitFor(() => expect(rowsText(container)).toEqual(['Capital of Norway?', 'answer 2']), WAIT);
      const answerPager = within(rows(container, 'assistant')[0]).getByRole('group', { name: 'Version 2 of 2' });
      await user.click(within(answerPager).getByRole('button', { name: 'Previous version' }));
      await waitFor(() => expect(rowsText(container)).toEqual(['Capital of Norway?', 'answer 1']), WAIT);
      // Back to the newest prompt: its answer is the newest again, still without a pager.
      await user.click(within(within(rows(container, 'user')[0]).getByRole('group', { name: 'Version 1 of 2' })).getByRole('button', { name: 'Next version' }));
      await waitFor(() => expect(rowsText(container)).toEqual(['Capital of Sweden?', 'answer 3']), WAIT);
      expect(within(rows(container, 'assistant')[0]).queryByRole('group', { name: /^Version/ })).toBeNull();
    }
  });
});
