import { onHighlighterLoaded } from './code-highlighter.ts';
import type { MarkdownPipeline } from './incremental-markdown.ts';
import { lexMarkdown, renderMarkdownTokens } from './markdown-to-html.ts';
import { onMathLoaded } from './math-renderer.ts';
import { sanitizeHtml } from './sanitize-html.ts';

/** The page's pipeline: marked's lexer, our renderer, then DOMPurify on every block. */
export const markdownPipeline: MarkdownPipeline = {
  lex: lexMarkdown,
  render: (tokens, growing) => sanitizeHtml(renderMarkdownTokens(tokens, { growing })),
};

// Rendered HTML of finished messages, so reopening a conversation renders nothing again.
// Bounded: a long session must not keep every answer it ever showed twice in memory.
const completeCache = new Map<string, string>();
const completeCacheLimit = 1000;
let renderersGeneration = 0;

onHighlighterLoaded(() => renderersGeneration++);
onMathLoaded(() => renderersGeneration++);

/**
 * A finished message in one pass (one sanitize call instead of one per block), cached. Keys
 * include how many lazy renderers have loaded, since a late highlighter changes the output.
 */
export function renderCompleteMarkdown(text: string): string {
  const key = `${renderersGeneration}\u0000${text}`;
  const cached = completeCache.get(key);
  if (cached !== undefined) return cached;
  const html = markdownPipeline.render(lexMarkdown(text), false);
  completeCache.set(key, html);
  if (completeCache.size > completeCacheLimit) completeCache.delete(completeCache.keys().next().value!);
  return html;
}

/** Whether a late-loading renderer (highlight.js for fenced code, KaTeX for math) may change `text`. */
export function mayUseLazyRenderers(text: string): boolean {
  return /```|~~~|\$|\\\(|\\\[/.test(text);
}

/** Fires when highlight.js (a language) or KaTeX finishes loading. */
export function onRenderersLoaded(listener: () => void): () => void {
  const unsubscribeHighlighter = onHighlighterLoaded(listener);
  const unsubscribeMath = onMathLoaded(listener);
  return () => {
    unsubscribeHighlighter();
    unsubscribeMath();
  };
}
