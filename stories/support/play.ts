import { expect, userEvent, waitFor, within } from 'storybook/test';

/** Waits for the story's chat (the mock broker starts asynchronously) and sends `text` with Enter. */
export async function send(canvasElement: HTMLElement, text: string, index = 0): Promise<HTMLTextAreaElement> {
  const canvas = within(canvasElement);
  const inputs = await canvas.findAllByRole('textbox', { name: 'Message' }, { timeout: 10_000 });
  const input = inputs[index] as HTMLTextAreaElement;
  await waitFor(() => expect(canvasElement.querySelectorAll('[data-slot="chat-window"]')[index]).toHaveAttribute('data-connection', 'connected'), { timeout: 10_000 });
  await userEvent.type(input, `${text}{Enter}`);
  return input;
}

/** The assistant message rows of one window. */
export function assistantRows(root: HTMLElement): HTMLElement[] {
  return [...root.querySelectorAll<HTMLElement>('[data-slot="message"][data-role="assistant"]')];
}

export function scroller(root: HTMLElement): HTMLElement {
  return root.querySelector<HTMLElement>('.csk-viewport-scroller')!;
}

export function distanceFromBottom(el: HTMLElement): number {
  return el.scrollHeight - el.scrollTop - el.clientHeight;
}
