import type { MarkedExtension, TokenizerThis, Tokens } from 'marked';

export interface MathToken extends Tokens.Generic {
  type: 'blockMath' | 'inlineMath';
  raw: string;
  tex: string;
}

/*
 * `$$…$$`, `\[…\]` and `\(…\)` may span lines, so a search for the closing delimiter scans the
 * rest of the text, and marked tries again at every opener: text full of unclosed openers
 * (`$$$$…`, `\[\[\[…`, which a model can emit) costs time quadratic in its length. 32 KB of `$$`
 * froze the page for 7 s per render, and a streaming answer is rendered at every token. Past this
 * many failed searches in one document, its remaining openers stay text: real answers fail a few
 * at most (a stray `$$` in prose), and the cost stays linear.
 */
const failedSearchesPerDocument = 32;
// Keyed by marked's lexer, which is created anew for every document it lexes.
const failedSearches = new WeakMap<object, number>();

const searchesLeft = (context: TokenizerThis) => (failedSearches.get(context.lexer) ?? 0) < failedSearchesPerDocument;
const recordFailedSearch = (context: TokenizerThis) => failedSearches.set(context.lexer, (failedSearches.get(context.lexer) ?? 0) + 1);

/**
 * LaTeX as LLMs write it: `$$…$$` and `\[…\]` blocks, `$…$` and `\(…\)` inline. Inline `$` follows
 * pandoc's rule (no space inside the delimiters, no digit right after the closing one) so prices
 * such as "$5 and $10" stay text.
 */
export function mathExtension(render: (tex: string, displayMode: boolean) => string): MarkedExtension {
  return {
    extensions: [
      {
        name: 'blockMath',
        level: 'block',
        // Only where a line starts: `$$` in the middle of a sentence is inline math, not a block
        // that would split the paragraph.
        start(source) {
          if (!searchesLeft(this)) return undefined;
          const match = /(?:^|\n)[^\S\n]*(?=\$\$|\\\[)/.exec(source);
          return match ? match.index + match[0].length : undefined;
        },
        tokenizer(source): MathToken | undefined {
          if (!source.startsWith('$$') && !source.startsWith('\\[')) return undefined;
          if (!searchesLeft(this)) return undefined;
          const match = /^\$\$([\s\S]+?)\$\$[^\S\n]*(?:\n|$)/.exec(source) ?? /^\\\[([\s\S]+?)\\\][^\S\n]*(?:\n|$)/.exec(source);
          if (!match) {
            recordFailedSearch(this);
            return undefined;
          }
          return { type: 'blockMath', raw: match[0], tex: (match[1] ?? '').trim() };
        },
        renderer: (token) => render((token as MathToken).tex, true),
      },
      {
        name: 'inlineMath',
        level: 'inline',
        start: (source) => source.match(/\$|\\\(/)?.index,
        tokenizer(source): MathToken | undefined {
          // `$$…$$` inside a sentence (a block needs it on its own line): math in the line, as peers render it.
          const doubleDollarMatch = /^\$\$(?!\s)((?:\\.|[^\\$\n])+?)(?<!\s)\$\$/.exec(source);
          if (doubleDollarMatch) return { type: 'inlineMath', raw: doubleDollarMatch[0], tex: (doubleDollarMatch[1] ?? '').trim() };
          // `$…$` cannot cross a `$` or a line, so its failed searches are short: only `\(` counts.
          const dollarMatch = /^\$(?!\s)((?:\\.|[^\\$\n])+?)(?<!\s)\$(?!\d)/.exec(source);
          if (dollarMatch) return { type: 'inlineMath', raw: dollarMatch[0], tex: (dollarMatch[1] ?? '').trim() };
          if (!source.startsWith('\\(') || !searchesLeft(this)) return undefined;
          const parenthesisMatch = /^\\\(([\s\S]+?)\\\)/.exec(source);
          if (!parenthesisMatch) {
            recordFailedSearch(this);
            return undefined;
          }
          return { type: 'inlineMath', raw: parenthesisMatch[0], tex: (parenthesisMatch[1] ?? '').trim() };
        },
        renderer: (token) => render((token as MathToken).tex, false),
      },
    ],
  };
}
