import { useEffect, useState } from 'react';
import type { PluginConfig } from 'streamdown';

type CodePlugin = NonNullable<PluginConfig['code']>;

let loaded: CodePlugin | null = null;
let loading: Promise<CodePlugin> | null = null;

/**
 * Loads the Shiki-based highlighter on first need. It is the heaviest part of a chat UI by far,
 * so threads without code never download it.
 */
export function loadCodeHighlighter(): Promise<CodePlugin> {
  loading ??= import('@streamdown/code').then((module) => {
    loaded = module.code as unknown as CodePlugin;
    return loaded;
  });
  return loading;
}

/** Where the lazy highlighter is: never requested, on its way, or ready. */
export function codeHighlighterStatus(): 'idle' | 'loading' | 'loaded' {
  return loaded ? 'loaded' : loading ? 'loading' : 'idle';
}

/** The highlighter once loaded; starts loading when `needed` becomes true. */
export function useCodeHighlighter(needed: boolean): CodePlugin | undefined {
  const [plugin, setPlugin] = useState<CodePlugin | null>(loaded);
  useEffect(() => {
    if (!needed || plugin) return;
    let live = true;
    loadCodeHighlighter().then(
      (p) => live && setPlugin(p),
      // Without the highlighter code blocks still render, just unhighlighted.
      () => {},
    );
    return () => {
      live = false;
    };
  }, [needed, plugin]);
  return plugin ?? undefined;
}
