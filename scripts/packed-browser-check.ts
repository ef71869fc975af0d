/**
 * One chat turn in Chromium against an example app that runs the packed kit: types a message,
 * sends it, and waits until the expected answer is on the page. Used by `scripts/check-packed.ts`.
 */
import { chromium, type Browser, type Page } from 'playwright-core';

/** The Chromium flags every browser check here uses: no GPU, no background network, no sandbox. */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Which page to open and how its chat looks. */
export interface BrowserTurn {
  /** What the report calls it. */
  name: string;
  url: string;
  /** The answer's text, as the page shows it once the turn is over. */
  answer: string;
  /** `chat-window`: ChatWindow (its status line must say Done); `plain`: a `useChat` list. */
  kind: 'chat-window' | 'plain';
}

/** Launches the machine's Chromium. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

/** Runs one turn; resolves with what the page showed, rejects with the page's errors when it fails. */
export async function streamOneTurn(browser: Browser, turn: BrowserTurn, timeoutMs = 60_000): Promise<string> {
  const context = await browser.newContext();
  const page: Page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  try {
    await page.goto(turn.url, { waitUntil: 'load', timeout: timeoutMs });
    const input = page.getByRole('textbox', { name: 'Message' });
    if (turn.kind === 'chat-window') {
      await page.locator('[data-slot="chat-window"][data-connection="connected"]').waitFor({ timeout: timeoutMs });
      await input.fill('Hello from the packed tarball');
      await input.press('Enter');
      await page.locator('[data-slot="status-indicator"][data-generation="done"]').waitFor({ timeout: timeoutMs });
      const log = await page.getByRole('log').innerText();
      if (!log.includes(turn.answer)) throw new Error(`the answer is not on the page; the log reads: ${log.slice(0, 400)}`);
      return log;
    }
    await input.waitFor({ timeout: timeoutMs });
    // The button is enabled once React has hydrated the form.
    await input.fill('Hello from the packed tarball');
    await page.getByRole('button', { name: 'Send' }).click();
    const answer = page.locator('li[data-role="assistant"]');
    await answer.filter({ hasText: turn.answer }).waitFor({ timeout: timeoutMs });
    await page.getByTestId('status').filter({ hasText: 'ready' }).waitFor({ timeout: timeoutMs });
    return await answer.innerText();
  } catch (error) {
    throw new Error(`${turn.name}: ${error instanceof Error ? error.message : String(error)}${problems.length ? `\n  ${problems.join('\n  ')}` : ''}`);
  } finally {
    await context.close();
  }
}
