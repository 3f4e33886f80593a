import { loadLanguage } from './code-highlighter.ts';
import { loadMath } from './math-renderer.ts';

const fenceLanguage = /^ {0,3}(?:```|~~~)[ \t]*([^\s`]+)/gm;
const mathDelimiter = /\$\$|\\\[|\\\(|\$[^\s$]/;

/**
 * Starts fetching the highlighter languages and KaTeX that stored messages use, as soon as the
 * messages arrive rather than when their first block renders. Nothing waits for them: the newest
 * rows render at once, and re-render (only those already on screen) when the renderers land.
 */
export function startLoadingRenderersFor(texts: readonly string[]): void {
  const labels = new Set<string>();
  let hasMath = false;
  for (const text of texts) {
    for (const match of text.matchAll(fenceLanguage)) labels.add(match[1]!.toLowerCase());
    hasMath ||= mathDelimiter.test(text);
  }
  const ignoreFailure = () => {};
  for (const label of labels) loadLanguage(label).catch(ignoreFailure);
  if (hasMath) loadMath().catch(ignoreFailure);
}
