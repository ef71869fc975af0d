import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

/** Vite config of Storybook and its browser tests: React only, dev server bound to loopback. */
export default defineConfig({
  plugins: [react()],
  server: { host: '127.0.0.1' },
  // Pre-bundled up front: a dependency discovered mid-run makes Vite reload the page, which in
  // browser tests means two copies of React.
  optimizeDeps: {
    include: [
      'mqtt',
      'react',
      'react-dom',
      'react-dom/client',
      'react/jsx-runtime',
      'react/jsx-dev-runtime',
      'ai',
      '@ai-sdk/react',
      'streamdown',
      '@streamdown/code',
      '@radix-ui/react-scroll-area',
      '@radix-ui/react-slot',
      '@tanstack/react-virtual',
      'axe-core',
    ],
  },
});
