/**
 * The conversation in Chromium on the demo (issue 10, test 8), with its chats in a PGlite
 * directory as `npm run demo` keeps them: three prompts survive a reload, a second browser context
 * shows the same rows, the sidebar lists the chat, and "New chat" starts empty.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Browser, BrowserContext } from 'playwright-core';
import { startDemo, type DemoStack } from '../../demo/stack.js';
import { chatPage, launchChromium, newRecordedContext } from './helpers.js';

let stack: DemoStack;
let browser: Browser;
const contexts: BrowserContext[] = [];
const chatsDir = mkdtempSync(join(tmpdir(), 'csk-e2e-chats-'));

beforeAll(async () => {
  stack = await startDemo({ port: 0, mqttPort: 0, wsPort: 0, tokensPerSecond: 400, env: {}, hmr: false, chatsDir, freshChats: true, log: () => undefined });
  browser = await launchChromium();
});

afterAll(async () => {
  for (const context of contexts) await context.close();
  await browser?.close();
  await stack?.close();
  rmSync(chatsDir, { recursive: true, force: true });
});

async function open(query: string) {
  const context = await newRecordedContext(browser, { colorScheme: 'light' });
  contexts.push(context);
  const page = await context.newPage();
  await page.goto(`${stack.url}?${query}`);
  const chat = chatPage(page);
  await chat.connected();
  return { page, chat };
}

describe('the conversation lives on the server', () => {
  test('3 prompts, reload: 6 rows; a second context: the same 6; the list shows the chat; a new chat starts empty', async () => {
    const { page, chat } = await open('user=e2e-conv&chat=trip');
    for (const prompt of ['First question', 'Second question', 'Third question']) {
      await chat.ask(prompt);
      await chat.generation('done');
    }
    await expect.poll(() => page.locator('article[data-role]').count()).toBe(6);
    const ids = () => page.locator('article[data-role]').evaluateAll((rows) => rows.map((row) => `${row.getAttribute('data-role')}:${row.textContent?.slice(0, 40)}`));
    const before = await ids();

    await page.reload();
    await chatPage(page).connected();
    await expect.poll(() => page.locator('article[data-role]').count(), { timeout: 30_000 }).toBe(6);
    expect(await ids()).toEqual(before);

    const second = await open('user=e2e-conv&chat=trip');
    await expect.poll(() => second.page.locator('article[data-role]').count(), { timeout: 30_000 }).toBe(6);
    expect(await second.page.locator('article[data-role]').evaluateAll((rows) => rows.map((row) => `${row.getAttribute('data-role')}:${row.textContent?.slice(0, 40)}`))).toEqual(before);

    const list = page.getByRole('navigation', { name: 'Your chats' });
    await expect.poll(() => list.getByText('First question').count(), { timeout: 30_000 }).toBe(1);

    await list.getByRole('button', { name: /New chat/ }).click();
    await page.waitForURL((url) => !url.search.includes('chat=trip'));
    await chatPage(page).connected();
    // The stored chat's rows never show in the new one, and it says it is empty once loaded.
    await expect.poll(() => page.getByText('No messages yet').count(), { timeout: 30_000 }).toBeGreaterThan(0);
    expect(await page.locator('article[data-role]').count()).toBe(0);
  });

  test('an edited first prompt replaces the branch: after a reload, and in a second context, the edited prompt and its answer show, the old branch as version 1', async () => {
    const { page, chat } = await open('user=e2e-edit&chat=edits');
    for (const prompt of ['Capital of Norway?', 'And its population?']) {
      await chat.ask(prompt);
      await chat.generation('done');
    }
    await expect.poll(() => page.locator('article[data-role]').count()).toBe(4);
    const first = page.locator('article[data-role=user]').first();
    await first.hover();
    await first.getByRole('button', { name: 'Edit' }).click();
    const editor = page.getByRole('textbox', { name: 'Edit your message' });
    await editor.fill('Capital of Sweden?');
    await editor.press('Enter');
    await expect.poll(() => page.locator('article[data-role]').count(), { timeout: 30_000 }).toBe(2);
    await chat.generation('done');
    const rows = (p: typeof page) => p.locator('article[data-role=user]').evaluateAll((list) => list.map((row) => row.textContent ?? ''));

    await page.reload();
    await chatPage(page).connected();
    await expect.poll(() => page.locator('article[data-role]').count(), { timeout: 30_000 }).toBe(2);
    expect((await rows(page)).join(' ')).toContain('Capital of Sweden?');
    expect((await rows(page)).join(' ')).not.toContain('population');
    // The old branch is kept as version 1: the pager survives the reload.
    const pager = (p: typeof page) => p.locator('article[data-role=user]').first().getByRole('group', { name: 'Version 2 of 2' });
    await expect.poll(() => pager(page).count(), { timeout: 30_000 }).toBe(1);

    const second = await open('user=e2e-edit&chat=edits');
    await expect.poll(() => second.page.locator('article[data-role]').count(), { timeout: 30_000 }).toBe(2);
    expect((await rows(second.page)).join(' ')).toContain('Capital of Sweden?');
    // The second context pages back to what was said before the edit.
    await expect.poll(() => pager(second.page).count(), { timeout: 30_000 }).toBe(1);
    await pager(second.page).getByRole('button', { name: 'Previous version' }).click();
    await expect.poll(() => second.page.locator('article[data-role]').count(), { timeout: 30_000 }).toBe(4);
    expect((await rows(second.page)).join(' ')).toContain('population');
    expect((await rows(second.page)).join(' ')).toContain('Capital of Norway?');
  });
});
