/**
 * Runs every story as a browser test (its play function, if any) in Debian's Chromium through
 * Playwright. Run with `npm run test:stories` (= `vitest run --config .storybook/vitest.config.ts`).
 */
import { defineConfig, mergeConfig } from 'vitest/config';
import { storybookTest } from '@storybook/addon-vitest/vitest-plugin';
import { playwright } from '@vitest/browser-playwright';
import viteConfig from './vite.config.js';

const configDir = import.meta.dirname;

export default mergeConfig(
  viteConfig,
  defineConfig({
    plugins: [storybookTest({ configDir })],
    test: {
      name: 'storybook',
      testTimeout: 60_000,
      browser: {
        enabled: true,
        headless: true,
        provider: playwright({
          launchOptions: {
            // Debian's Chromium; never a downloaded browser. CHROMIUM_PATH overrides it elsewhere.
            executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
            args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
          },
        }),
        instances: [{ browser: 'chromium' }],
        api: { host: '127.0.0.1' },
      },
    },
  }),
);
