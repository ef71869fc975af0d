import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';
import { resolve } from 'node:path';
import { readFileSync } from 'node:fs';

const entry = (path: string) => resolve(import.meta.dirname, path);

/** Kept out of the bundle: every dependency and peer (the app's bundler resolves them once) and Node built-ins. */
const pkg = JSON.parse(readFileSync(resolve(import.meta.dirname, 'package.json'), 'utf8')) as { dependencies?: object; peerDependencies?: object };
const externalNames = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})];
const external = (id: string) => id.startsWith('node:') || externalNames.some((name) => id === name || id.startsWith(`${name}/`));

export default defineConfig({
  plugins: [react()],
  build: {
    lib: {
      entry: {
        index: entry('src/index.ts'),
        react: entry('src/react.ts'),
        server: entry('src/server/index.ts'),
        broker: entry('src/broker/index.ts'),
        testing: entry('src/testing/index.ts'),
      },
      formats: ['es'],
    },
    rollupOptions: {
      external,
      // Bundlers drop module-level directives, so the React entry gets its `'use client'` back here:
      // Next.js needs it on the file a Server Component imports. Only that entry: the transport
      // entry stays usable from server code.
      output: { banner: (chunk) => (chunk.isEntry && chunk.name === 'react' ? `'use client';` : '') },
    },
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
