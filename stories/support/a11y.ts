import axe from 'axe-core';
import { expect } from 'storybook/test';

/** axe-core in the real browser (contrast included): zero violations or the story fails. */
export async function expectAccessible(root: Element): Promise<void> {
  const result = await axe.run(root, { resultTypes: ['violations'] });
  const summary = result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
  await expect(summary).toEqual([]);
}
