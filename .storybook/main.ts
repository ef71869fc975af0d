import type { StorybookConfig } from '@storybook/react-vite';
import { fileURLToPath } from 'node:url';

/**
 * Storybook for the React kit. Stories run the real transport and the real chat worker on the
 * in-memory mock broker, so every state shown here is one the library actually produces.
 */
const config: StorybookConfig = {
  stories: ['../stories/docs/*.mdx', '../stories/**/*.stories.@(ts|tsx)'],
  addons: ['@storybook/addon-vitest', '@storybook/addon-docs'],
  framework: {
    name: '@storybook/react-vite',
    // A plain Vite config: the package's own one builds the library and would fight Storybook.
    options: { builder: { viteConfigPath: fileURLToPath(new URL('./vite.config.ts', import.meta.url)) } },
  },
  core: { disableTelemetry: true },
};

export default config;
