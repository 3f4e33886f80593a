/**
 * Model output is untrusted: a link may carry `javascript:` (or `vbscript:`, `data:`) and run code
 * when clicked. Browsers ignore ASCII whitespace and control characters inside a scheme, so
 * `java\tscript:` must count too. Relative URLs, anchors and http(s)/mailto stay.
 */
const allowedSchemes = new Set(['http:', 'https:', 'mailto:']);

export function safeUrl(href: string | null | undefined): string | null {
  if (!href) return null;
  // CommonMark decodes character references in link destinations (`&#106;avascript:`), and so
  // would the browser if the URL reached an attribute unescaped: judge the decoded form.
  const decoded = decodeCharacterReferences(href).trim();
  // eslint-disable-next-line no-control-regex -- control characters are exactly what browsers strip
  const collapsed = decoded.replace(/[\u0000-\u0020\u007f]/g, '');
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(collapsed)?.[1];
  if (!scheme) return /^[a-z0-9+.-]*&/i.test(collapsed) ? null : decoded;
  return allowedSchemes.has(`${scheme.toLowerCase()}:`) ? decoded : null;
}

const namedReferences: Record<string, string> = { colon: ':', tab: '\t', newline: '\n', amp: '&', sol: '/', lpar: '(', rpar: ')' };

function decodeCharacterReferences(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);?/gi, (reference, body: string) => {
    if (body.startsWith('#')) {
      const codePoint = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      return codePoint > 0 && codePoint <= 0x10ffff ? String.fromCodePoint(codePoint) : '';
    }
    return namedReferences[body.toLowerCase()] ?? reference;
  });
}
