import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lexMarkdown, renderMarkdownTokens } from './markdown-to-html.ts';
import { safeUrl } from './safe-url.ts';

const render = (source: string) => renderMarkdownTokens(lexMarkdown(source), { growing: false });

test('raw HTML from the model is shown as text, not rendered', () => {
  const html = render('<img src=x onerror=alert(1)> and <script>alert(1)</script>\n\n<div onclick="x()">hi</div>');
  assert.doesNotMatch(html, /<img|<script|<div onclick/);
  assert.match(html, /&lt;img src=x onerror=alert\(1\)&gt;/);
  assert.match(html, /&lt;script&gt;/);
});

test('javascript: links lose their link and keep their text', () => {
  const html = render('[x](javascript:alert(1)) [y](JaVa\tScRiPt:alert(1)) [ok](https://example.com)');
  assert.doesNotMatch(html, /javascript/i);
  assert.match(html, /<a href="https:\/\/example.com">ok<\/a>/);
  assert.match(html, />?x /);
});

test('images become links, so output cannot make the page fetch a URL', () => {
  const html = render('![chart](https://example.com/leak?q=secret)');
  assert.doesNotMatch(html, /<img/);
  assert.match(html, /<a class="image-link" href="https:\/\/example.com\/leak\?q=secret">chart<\/a>/);
});

test('code blocks get a language label and a copy button', () => {
  const html = render('```python\nprint("<hi>")\n```');
  assert.match(html, /code-block-language">python</);
  assert.match(html, /data-code-copy/);
  assert.match(html, /print\(|<span/);
  assert.doesNotMatch(html, /"<hi>"/);
});

test('tables are wrapped so that they scroll on narrow screens', () => {
  assert.match(render('| a | b |\n|---|---|\n| 1 | 2 |'), /^<div class="table-scroll" tabindex="0"><table>/);
});

test('math is recognised; prices are not', () => {
  assert.match(render('Euler: $e^{i\\pi} + 1 = 0$'), /math-pending|katex/);
  assert.match(render('$$\n\\int_0^1 x\\,dx\n$$'), /math-pending|katex/);
  const prices = render('It costs $5 and $10.');
  assert.doesNotMatch(prices, /math-pending|katex/);
});

test('safeUrl keeps web and relative links and drops script schemes', () => {
  assert.equal(safeUrl('https://a.example/x'), 'https://a.example/x');
  assert.equal(safeUrl('/relative'), '/relative');
  assert.equal(safeUrl('#anchor'), '#anchor');
  assert.equal(safeUrl('mailto:a@b.c'), 'mailto:a@b.c');
  assert.equal(safeUrl('javascript:alert(1)'), null);
  assert.equal(safeUrl(' java\nscript:alert(1)'), null);
  assert.equal(safeUrl('data:text/html,<script>'), null);
  assert.equal(safeUrl('vbscript:x'), null);
  assert.equal(safeUrl('&#106;avascript:alert(1)'), null);
  assert.equal(safeUrl('&#x6A;avascript&colon;alert(1)'), null);
  assert.equal(safeUrl('javascript&#58;alert(1)'), null);
  assert.equal(safeUrl('https://a.example/?a=1&amp;b=2'), 'https://a.example/?a=1&b=2');
});
