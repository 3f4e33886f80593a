import type { HLJSApi, LanguageFn } from 'highlight.js';
import { createLazyModule, type LazyModule } from './lazy-module.ts';

type LanguageLoader = () => Promise<{ default: LanguageFn }>;

/*
 * One chunk per language, fetched when a finished code block names it. Listing them by hand is
 * what lets Vite split them; the list covers what models write most.
 */
const languageLoaders: Record<string, LanguageLoader> = {
  bash: () => import('highlight.js/lib/languages/bash'),
  c: () => import('highlight.js/lib/languages/c'),
  cpp: () => import('highlight.js/lib/languages/cpp'),
  csharp: () => import('highlight.js/lib/languages/csharp'),
  css: () => import('highlight.js/lib/languages/css'),
  diff: () => import('highlight.js/lib/languages/diff'),
  dockerfile: () => import('highlight.js/lib/languages/dockerfile'),
  go: () => import('highlight.js/lib/languages/go'),
  java: () => import('highlight.js/lib/languages/java'),
  javascript: () => import('highlight.js/lib/languages/javascript'),
  json: () => import('highlight.js/lib/languages/json'),
  kotlin: () => import('highlight.js/lib/languages/kotlin'),
  latex: () => import('highlight.js/lib/languages/latex'),
  markdown: () => import('highlight.js/lib/languages/markdown'),
  php: () => import('highlight.js/lib/languages/php'),
  python: () => import('highlight.js/lib/languages/python'),
  ruby: () => import('highlight.js/lib/languages/ruby'),
  rust: () => import('highlight.js/lib/languages/rust'),
  scss: () => import('highlight.js/lib/languages/scss'),
  shell: () => import('highlight.js/lib/languages/shell'),
  sql: () => import('highlight.js/lib/languages/sql'),
  swift: () => import('highlight.js/lib/languages/swift'),
  typescript: () => import('highlight.js/lib/languages/typescript'),
  xml: () => import('highlight.js/lib/languages/xml'),
  yaml: () => import('highlight.js/lib/languages/yaml'),
};

const aliases: Record<string, string> = {
  'c++': 'cpp',
  cs: 'csharp',
  docker: 'dockerfile',
  golang: 'go',
  h: 'c',
  html: 'xml',
  js: 'javascript',
  jsx: 'javascript',
  md: 'markdown',
  py: 'python',
  rb: 'ruby',
  rs: 'rust',
  sh: 'bash',
  svg: 'xml',
  tex: 'latex',
  ts: 'typescript',
  tsx: 'typescript',
  yml: 'yaml',
  zsh: 'bash',
  console: 'shell',
};

const core = createLazyModule<HLJSApi>(async () => (await import('highlight.js/lib/core')).default);
const languages = new Map<string, LazyModule<LanguageFn>>();
const loadedListeners = new Set<() => void>();

export function canonicalLanguage(label: string): string | null {
  const name = label.trim().toLowerCase();
  const canonical = aliases[name] ?? name;
  return canonical in languageLoaders ? canonical : null;
}

function languageModule(language: string): LazyModule<LanguageFn> {
  let module = languages.get(language);
  if (!module) {
    const loader = languageLoaders[language]!;
    module = createLazyModule(async () => {
      const [engine, definition] = await Promise.all([core.load(), loader()]);
      engine.registerLanguage(language, definition.default);
      return definition.default;
    });
    module.subscribe(() => {
      for (const listener of loadedListeners) listener();
    });
    languages.set(language, module);
  }
  return module;
}

/** Highlighted HTML when the engine and language are loaded; otherwise null, and starts loading them. */
export function highlightCode(code: string, label: string): string | null {
  const language = canonicalLanguage(label);
  if (!language) return null;
  const module = languageModule(language);
  const engine = core.current;
  if (!engine || !module.current) {
    module.request();
    return null;
  }
  return engine.highlight(code, { language, ignoreIllegals: true }).value;
}

/** Loads what highlighting `label` needs; resolves at once for unknown languages. */
export async function loadLanguage(label: string): Promise<void> {
  const language = canonicalLanguage(label);
  if (language) await languageModule(language).load();
}

/** Fires when a language finishes loading, so cached blocks can be highlighted. */
export function onHighlighterLoaded(listener: () => void): () => void {
  loadedListeners.add(listener);
  return () => loadedListeners.delete(listener);
}
