import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';
import { resolve } from 'node:path';

const entry = (path: string) => resolve(import.meta.dirname, path);

/** Kept out of the bundle: peers and Node-only dependencies. */
const external = [/^ai(\/|$)/, /^@ai-sdk\//, /^react(\/|$)/, /^react-dom(\/|$)/, /^node:/, 'mqtt', 'aedes', 'ws', 'jose', /^@radix-ui\//, 'streamdown'];

export default defineConfig({
  plugins: [react()],
  build: {
    lib: {
      entry: {
        index: entry('src/index.ts'),
        server: entry('src/server/index.ts'),
        broker: entry('src/broker/index.ts'),
        testing: entry('src/testing/index.ts'),
      },
      formats: ['es'],
    },
    rollupOptions: { external },
    sourcemap: true,
    target: 'es2022',
    outDir: 'dist',
    emptyOutDir: true,
  },
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/security/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'dom',
          include: ['test/react/**/*.test.{ts,tsx}'],
          environment: 'jsdom',
          setupFiles: ['test/react/setup.ts'],
          testTimeout: 30_000,
        },
      },
    ],
  },
});
