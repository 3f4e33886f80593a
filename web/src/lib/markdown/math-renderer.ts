/// <reference types="vite/client" />
// Vite's types for the CSS import below, named here so that this file also type-checks in the
// Node project, whose tests lex markdown with the page's own lexer (test/e2e/support/payload-batches.ts).
import { escapeHtml } from './escape-html.ts';
import { createLazyModule } from './lazy-module.ts';

type RenderToString = (
  tex: string,
  options: { displayMode: boolean; throwOnError: boolean; strict: 'ignore'; output: 'htmlAndMathml'; macros: Record<string, string> },
) => string;

/*
 * KaTeX's commands that make links or HTML attributes (`\href`, `\url`, `\htmlData`…) are off
 * (its `trust` option stays false): model output must not make links or set attributes through
 * math. Left alone, KaTeX then shows the bare command name in red and drops its text, so
 * `\href{…}{Wikipedia}` lost the word "Wikipedia". These macros keep the text and drop the rest.
 * `\@secondoftwo` is KaTeX's own macro for "the second of the next two arguments".
 */
export const untrustedCommandsAsText: Readonly<Record<string, string>> = {
  '\\href': '\\@secondoftwo',
  '\\url': '\\texttt',
  '\\htmlClass': '\\@secondoftwo',
  '\\htmlData': '\\@secondoftwo',
  '\\htmlId': '\\@secondoftwo',
  '\\htmlStyle': '\\@secondoftwo',
};

// KaTeX (JS, CSS and fonts) is about 100 KB gzipped: fetched the first time an answer has math.
const katex = createLazyModule<RenderToString>(async () => {
  const [module] = await Promise.all([import('katex'), import('katex/dist/katex.min.css')]);
  return module.default.renderToString;
});

/** KaTeX HTML once loaded; until then the TeX source as inert text, and KaTeX starts loading. */
export function renderMath(tex: string, displayMode: boolean): string {
  const renderToString = katex.current;
  if (!renderToString) {
    katex.request();
    const source = escapeHtml(displayMode ? `$$${tex}$$` : `$${tex}$`);
    return displayMode ? `<div class="math-pending">${source}</div>` : `<span class="math-pending">${source}</span>`;
  }
  // A fresh macros object each time: `\gdef` in one formula writes into it, and must not leak
  // into the next (a model redefining `\href` for every later answer).
  const macros = { ...untrustedCommandsAsText };
  let html: string;
  try {
    // strict 'ignore': KaTeX would otherwise warn on the console for every formula that is valid
    // KaTeX but not LaTeX (unicode text in math), dozens per answer.
    html = renderToString(tex, { displayMode, throwOnError: true, strict: 'ignore', output: 'htmlAndMathml', macros });
  } catch {
    // Model output is full of dollar signs that are not math, and of TeX KaTeX cannot parse. Show
    // the source as written, quietly: KaTeX's own error is a red message that is hard to read.
    const source = escapeHtml(displayMode ? `$$${tex}$$` : `$${tex}$`);
    return displayMode ? `<div class="math-source">${source}</div>` : `<span class="math-source">${source}</span>`;
  }
  return displayMode ? `<div class="math-display" tabindex="0">${html}</div>` : html;
}

export const onMathLoaded = katex.subscribe;

export async function loadMath(): Promise<void> {
  await katex.load();
}
