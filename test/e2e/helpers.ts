/**
 * End-to-end helpers: Debian's Chromium through playwright-core (never a browser download), the
 * demo stack on free ports, a recorder that watches the page from inside, and the exact text the
 * simulated model's answer renders to.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { SIMULATED_ANSWER } from '../../demo/simulated-model.js';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const ARTIFACTS_DIR = resolve(import.meta.dirname, '../../test-results/e2e');

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium not found at ${CHROMIUM_PATH}. Install Debian's package (apt-get install chromium) or set CHROMIUM_PATH.`);
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export function artifactPath(name: string): string {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  return resolve(ARTIFACTS_DIR, name);
}

/** Whitespace-insensitive form of rendered text (layout decides line breaks, not the answer). */
export function normalize(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * The simulated answer as the chat window renders it: markdown syntax gone, the code block
 * headed by its language label (Streamdown's code block header).
 */
export function renderedAnswer(markdown = SIMULATED_ANSWER): string {
  const lines = markdown.split('\n').map((line) => {
    const fence = /^```(\w*)$/.exec(line);
    if (fence) return fence[1];
    return line.replace(/^- /, '').replace(/\*\*/g, '').replace(/`/g, '');
  });
  return normalize(lines.join('\n'));
}

/** What the in-page recorder saw, in order. Times are `performance.now()` of the page. */
export interface Recording {
  generation: Array<{ t: number; value: string | null }>;
  banner: Array<{ t: number; value: string | null }>;
  /** Text of the banner's polite live region whenever it changed. */
  bannerText: Array<{ t: number; value: string | null }>;
  connection: Array<{ t: number; value: string | null }>;
  /** Text length of the last assistant message whenever it changed. */
  lengths: Array<{ t: number; value: number }>;
}

/**
 * Installed before the page's own scripts (and again after every reload): a MutationObserver
 * that logs each change of the status indicator, the banner and the answer's length.
 */
function recorder() {
  const rec = { generation: [], banner: [], bannerText: [], connection: [], lengths: [] } as unknown as Recording;
  (window as unknown as { __e2e: Recording }).__e2e = rec;
  const push = <T,>(list: Array<{ t: number; value: T }>, value: T) => {
    if (list.length === 0 || list[list.length - 1].value !== value) list.push({ t: performance.now(), value });
  };
  const observe = () => {
    const status = document.querySelector('[data-slot=status-indicator]');
    push(rec.generation, status?.getAttribute('data-generation') ?? null);
    push(rec.connection, status?.getAttribute('data-connection') ?? null);
    const banner = document.querySelector('[data-slot=reconnect-banner]');
    push(rec.banner, banner?.getAttribute('data-state') ?? null);
    push(rec.bannerText, banner?.querySelector('[role=status]')?.textContent ?? null);
    const bodies = document.querySelectorAll('article[data-role=assistant] .csk-message-body');
    push(rec.lengths, bodies.length ? (bodies[bodies.length - 1].textContent ?? '').length : 0);
  };
  new MutationObserver(observe).observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
}

export async function newRecordedContext(browser: Browser, options: { colorScheme?: 'light' | 'dark' } = {}): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1000, height: 900 }, colorScheme: options.colorScheme ?? 'light' });
  await context.addInitScript(recorder);
  return context;
}

export function recording(page: Page): Promise<Recording> {
  return page.evaluate(() => (window as unknown as { __e2e: Recording }).__e2e);
}

/** Collects page errors and console errors, to fail tests that log them. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  return errors;
}

/** The locators the tests use, by role and label first (what a person and a screen reader see). */
export function chatPage(page: Page) {
  return {
    page,
    transcript: page.getByRole('log', { name: 'Conversation' }),
    input: page.getByRole('textbox', { name: 'Message' }),
    send: page.getByRole('button', { name: 'Send', exact: true }),
    stop: page.getByRole('button', { name: 'Stop', exact: true }),
    dropButton: page.getByRole('button', { name: 'Simulate network drop' }),
    status: page.locator('[data-slot=status-indicator]'),
    banner: page.locator('[data-slot=reconnect-banner]'),
    errorRow: page.locator('[data-slot=error-row]'),
    assistant: page.locator('article[data-role=assistant]'),
    user: page.locator('article[data-role=user]'),
    answerBody: page.locator('article[data-role=assistant] .csk-message-body').last(),
    async connected() {
      await page.locator('[data-slot=status-indicator][data-connection=connected]').waitFor({ timeout: 30_000 });
    },
    async ask(text: string) {
      await this.input.fill(text);
      await this.send.click();
    },
    async generation(value: string, timeout = 30_000) {
      await page.locator(`[data-slot=status-indicator][data-generation=${value}]`).waitFor({ timeout });
    },
    /** Waits until the live answer has at least `chars` characters. */
    async answerLength(chars: number, timeout = 30_000) {
      await page.waitForFunction(
        (min) => {
          const bodies = document.querySelectorAll('article[data-role=assistant] .csk-message-body');
          return bodies.length > 0 && (bodies[bodies.length - 1].textContent ?? '').length >= min;
        },
        chars,
        { timeout, polling: 'raf' },
      );
    },
    /**
     * The rendered text of the last answer. Streamdown gives code blocks `content-visibility: auto`,
     * so a block scrolled out of view has no layout and `innerText` would skip it: render it first.
     */
    async answerText() {
      await page.evaluate(() => {
        if (document.getElementById('e2e-render-all')) return;
        const style = Object.assign(document.createElement('style'), { id: 'e2e-render-all' });
        style.textContent = '[data-streamdown] { content-visibility: visible !important; }';
        document.head.append(style);
      });
      return normalize(await this.answerBody.innerText());
    },
    async currentLength() {
      return (await this.answerBody.textContent())?.length ?? 0;
    },
  };
}

const require = createRequire(import.meta.url);
export const AXE_SOURCE_PATH = require.resolve('axe-core/axe.min.js');

/** True when `sub` appears in `list` in order (not necessarily adjacent). */
export function inOrder<T>(list: readonly T[], sub: readonly T[]): boolean {
  let i = 0;
  for (const item of list) if (item === sub[i]) i++;
  return i === sub.length;
}
