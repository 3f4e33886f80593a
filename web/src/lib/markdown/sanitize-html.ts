import DOMPurify from 'dompurify';

/*
 * The last line of defence for model output: whatever markdown-to-html produced is parsed and
 * filtered by DOMPurify (no scripts, no event handlers, no javascript: URLs, no forms or styles).
 * Links open in a new tab without giving that tab a handle on this page.
 */
DOMPurify.addHook('afterSanitizeAttributes', (node) => {
  if (node.tagName === 'A' && node.hasAttribute('href')) {
    node.setAttribute('target', '_blank');
    node.setAttribute('rel', 'noopener noreferrer');
  }
});

const options = {
  FORBID_TAGS: ['style', 'form', 'input', 'textarea', 'select', 'iframe', 'object', 'embed', 'img', 'video', 'audio', 'source'],
  FORBID_ATTR: ['srcset', 'formaction', 'action', 'ping', 'background'],
};

export function sanitizeHtml(html: string): string {
  return DOMPurify.sanitize(html, options);
}
