import assert from 'node:assert/strict';
import { test } from 'node:test';
import katex from 'katex';
import { untrustedCommandsAsText } from './math-renderer.ts';

/** KaTeX's visible HTML, without the MathML copy for screen readers (which repeats the TeX source). */
function visibleText(tex: string): { text: string; html: string } {
  const html = katex.renderToString(tex, { throwOnError: false, output: 'htmlAndMathml', macros: { ...untrustedCommandsAsText } });
  const visible = html.replace(/<span class="katex-mathml">[\s\S]*?<\/math><\/span>/, '');
  return { text: visible.replace(/<[^>]+>/g, ''), html: visible };
}

test('link and HTML commands in math keep their text and make no link or attribute', () => {
  const cases = {
    '\\href{javascript:alert(1)}{Wikipedia}': 'Wikipedia',
    '\\href{https://en.wikipedia.org/wiki/Euler#x}{\\text{Euler}}': 'Euler',
    '\\url{javascript:alert(1)}': 'javascript:alert(1)',
    '\\htmlData{onload=alert(1)}{x}': 'x',
    '\\htmlClass{evil}{y}': 'y',
    '\\htmlId{__xss}{z}': 'z',
    '\\htmlStyle{background:url(javascript:alert(1))}{w}': 'w',
  };
  for (const [tex, text] of Object.entries(cases)) {
    const rendered = visibleText(tex);
    assert.equal(rendered.text, text, tex);
    assert.doesNotMatch(rendered.html, /<a |href=|data-onload|id="__xss"|class="evil"|url\(/, tex);
  }
});
