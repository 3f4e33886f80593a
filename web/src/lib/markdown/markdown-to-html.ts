import { Marked, Renderer, type Token, type Tokens } from 'marked';
import { canonicalLanguage, highlightCode } from './code-highlighter.ts';
import { escapeHtml } from './escape-html.ts';
import { mathExtension } from './math-extension.ts';
import { renderMath } from './math-renderer.ts';
import { safeUrl } from './safe-url.ts';

/*
 * Markdown → HTML for model output. The result is still untrusted and goes through sanitizeHtml;
 * these overrides make the common cases inert before that: raw HTML is shown as text (people expect
 * to see what the model wrote, not have it rendered), unsafe link schemes become plain text, and
 * images become links so that a model cannot make the page fetch a URL (which could carry the
 * conversation out in its query string).
 */

// The block still streaming is rendered without highlighting: its code changes every frame and
// highlighting it would cost more than the rest of the render.
let renderingGrowingBlock = false;

const markdown = new Marked(
  { gfm: true, breaks: false, async: false },
  mathExtension(renderMath),
  {
    renderer: {
      html({ text }: Tokens.HTML | Tokens.Tag) {
        return escapeHtml(text);
      },
      link(token: Tokens.Link) {
        const text = this.parser.parseInline(token.tokens);
        const href = safeUrl(token.href);
        if (!href) return text;
        const title = token.title ? ` title="${escapeHtml(token.title)}"` : '';
        return `<a href="${escapeHtml(href)}"${title}>${text}</a>`;
      },
      image({ href, text }: Tokens.Image) {
        const url = safeUrl(href);
        const label = escapeHtml(text || href);
        return url ? `<a class="image-link" href="${escapeHtml(url)}">${label}</a>` : label;
      },
      code({ text, lang }: Tokens.Code) {
        const label = /^\S*/.exec(lang ?? '')?.[0] ?? '';
        const language = canonicalLanguage(label);
        const highlighted = renderingGrowingBlock ? null : highlightCode(text, label);
        const languageClass = language ? ` language-${language}` : '';
        return (
          `<div class="code-block"><div class="code-block-header">` +
          `<span class="code-block-language">${escapeHtml(label || 'text')}</span>` +
          `<button type="button" class="code-copy-button" data-code-copy>Copy</button></div>` +
          // tabindex: a code block wider than the screen scrolls, and keyboard users must reach it.
          `<pre tabindex="0"><code class="hljs${languageClass}">${highlighted ?? escapeHtml(text)}</code></pre></div>`
        );
      },
      table(token: Tokens.Table) {
        // Wide tables scroll inside their own box instead of widening the page on phones.
        return `<div class="table-scroll" tabindex="0">${Renderer.prototype.table.call(this, token)}</div>`;
      },
    },
  },
);

export function lexMarkdown(source: string): Token[] {
  return markdown.lexer(source);
}

export function renderMarkdownTokens(tokens: Token[], options: { growing: boolean }): string {
  renderingGrowingBlock = options.growing;
  try {
    return markdown.parser(tokens);
  } finally {
    renderingGrowingBlock = false;
  }
}
