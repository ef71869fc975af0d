/**
 * Measures what the browser entries (`dist/index.js`, the transport, and `dist/react.js`, the hooks
 * and components) cost a web app that uses both, peers excluded:
 *
 * - `kit`: the kit's own code, i.e. both entries plus the local chunks they import statically.
 * - `shipped`: what an app downloads before first render: the entry bundled with esbuild for the
 *   browser, minified, every non-peer dependency (MQTT.js, streamdown, Radix, ...) included,
 *   peers (React, the AI SDK) external, lazy `import()` chunks (code highlighting) split off.
 * - `lazy`: the split-off chunks, loaded only when needed.
 * All sizes are gzip level 9, what a CDN typically serves.
 */
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

export const PEERS = ['react', 'react-dom', 'react/jsx-runtime', 'react-dom/client', 'ai', '@ai-sdk/react', '@ai-sdk/provider', '@ai-sdk/provider-utils'];

export interface BundleSizes {
  kitRawBytes: number;
  kitGzipBytes: number;
  shippedGzipBytes: number;
  lazyGzipBytes: number;
  /** Biggest inputs of the shipped bundle, bytes before minification share (esbuild metafile). */
  topInputs: { path: string; bytes: number }[];
}

const gz = (data: Buffer | string) => gzipSync(data, { level: 9 }).length;

/** The files a React app imports: the transport entry and the React entry. */
export const BROWSER_ENTRIES = ['index.js', 'react.js'];

/** The entries and the relative chunks they import statically, transitively. */
function kitFiles(entries: string[]): string[] {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const code = readFileSync(file, 'utf8');
    for (const match of code.matchAll(/(?:^|[;\n}])\s*(?:import|export)[^'"]*?from\s*["'](\.[^"']+)["']/g)) visit(resolve(dirname(file), match[1]));
  };
  entries.forEach(visit);
  return [...seen];
}

export async function measureBundle(root: string, distDir = join(root, 'dist')): Promise<BundleSizes> {
  const entries = BROWSER_ENTRIES.map((name) => join(distDir, name));
  for (const entry of entries) if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run build\` first.`);
  const files = kitFiles(entries);
  const kit = files.map((f) => readFileSync(f)).reduce((a, b) => Buffer.concat([a, b]), Buffer.alloc(0));
  const outdir = mkdtempSync(join(tmpdir(), 'bundle-size-'));
  try {
    const result = await build({
      entryPoints: entries,
      // Bare imports resolve from the project even when dist was built elsewhere.
      nodePaths: [join(root, 'node_modules')],
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      minify: true,
      outdir,
      write: false,
      metafile: true,
      logLevel: 'silent',
      external: [...PEERS, '*.css'],
      define: { 'process.env.NODE_ENV': '"production"' },
    });
    const outputs = result.metafile.outputs;
    // Lazy chunks carry an `entryPoint` too (the module they split off): match ours by path.
    const entryOuts = Object.keys(outputs).filter((k) => outputs[k].entryPoint !== undefined && entries.some((entry) => resolve(outputs[k].entryPoint!) === resolve(entry)));
    // Initial load: the entry and every chunk reachable through static imports.
    const initial = new Set<string>();
    const walk = (key: string) => {
      if (initial.has(key)) return;
      initial.add(key);
      for (const imp of outputs[key].imports) if (imp.kind === 'import-statement' && outputs[imp.path]) walk(imp.path);
    };
    entryOuts.forEach(walk);
    let shipped = 0;
    let lazy = 0;
    for (const file of result.outputFiles) {
      const key = Object.keys(outputs).find((k) => resolve(k) === file.path);
      if (!key || key.endsWith('.map')) continue;
      if (initial.has(key)) shipped += gz(Buffer.from(file.contents));
      else lazy += gz(Buffer.from(file.contents));
    }
    const byPackage = new Map<string, number>();
    for (const key of initial) {
      for (const [path, info] of Object.entries(outputs[key].inputs)) {
        const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1] ?? 'kit (dist)';
        byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + info.bytesInOutput);
      }
    }
    const topInputs = [...byPackage.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([path, bytes]) => ({ path, bytes }));
    return { kitRawBytes: kit.length, kitGzipBytes: gz(kit), shippedGzipBytes: shipped, lazyGzipBytes: lazy, topInputs };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
