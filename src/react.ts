/** The React half of the kit: hooks and components. Re-exported from the package root. */
export * from './hooks/index.js';
export * from './components/index.js';
