import { escapeHtml } from './escape-html.ts';
import { createLazyModule } from './lazy-module.ts';

type RenderToString = (tex: string, options: { displayMode: boolean; throwOnError: boolean; output: 'htmlAndMathml' }) => string;

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
  // throwOnError false: a model's malformed TeX shows in red instead of breaking the answer.
  const html = renderToString(tex, { displayMode, throwOnError: false, output: 'htmlAndMathml' });
  return displayMode ? `<div class="math-display" tabindex="0">${html}</div>` : html;
}

export const onMathLoaded = katex.subscribe;

export async function loadMath(): Promise<void> {
  await katex.load();
}
