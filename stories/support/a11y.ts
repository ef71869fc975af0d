import axe from 'axe-core';
import { expect } from 'storybook/test';

/** axe-core in the real browser (contrast included): zero violations or the story fails. */
export async function expectAccessible(root: Element): Promise<void> {
  const result = await axe.run(root, { resultTypes: ['violations'] });
  const summary = result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
  await expect(summary).toEqual([]);
}

/** The widths every state is checked at: a phone, a tablet, a desktop. */
export const AXE_WIDTHS = [375, 768, 1280] as const;

/**
 * axe at 375, 768 and 1280 px, light and dark. The windows lay out by their own width (container
 * queries), so resizing the story's frame is resizing the window; the theme is the roots'
 * `data-theme`. Everything is put back afterwards, so the story still ends in its own state.
 */
export async function expectAccessibleEverywhere(canvasElement: HTMLElement): Promise<void> {
  const frame = (canvasElement.firstElementChild as HTMLElement | null) ?? canvasElement;
  // Every themed root: chat windows, chat lists, and the `.csk-root` wrapping standalone parts.
  const roots = [...canvasElement.querySelectorAll<HTMLElement>('.csk-root, [data-slot="chat-list"]')];
  const saved = { width: frame.style.width, maxWidth: frame.style.maxWidth, themes: roots.map((r) => r.getAttribute('data-theme')) };
  const failures: string[] = [];
  try {
    for (const width of AXE_WIDTHS) {
      frame.style.maxWidth = 'none';
      frame.style.width = `${width}px`;
      for (const theme of ['light', 'dark']) {
        for (const root of roots) root.setAttribute('data-theme', theme);
        await new Promise((r) => requestAnimationFrame(() => r(null)));
        const result = await axe.run(canvasElement, { resultTypes: ['violations'] });
        for (const v of result.violations) failures.push(`${width}px ${theme}: ${v.id} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
      }
    }
  } finally {
    frame.style.width = saved.width;
    frame.style.maxWidth = saved.maxWidth;
    roots.forEach((root, i) => {
      const theme = saved.themes[i];
      if (theme === null) root.removeAttribute('data-theme');
      else root.setAttribute('data-theme', theme);
    });
  }
  await expect(failures).toEqual([]);
}
