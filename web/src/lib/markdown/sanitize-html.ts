import DOMPurify from 'dompurify';
import { breakLongRuns } from './break-long-runs.ts';

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
  // As a fragment, so that long unbroken runs can get their break points (break-long-runs.ts) in
  // the tree DOMPurify has already cleaned; serialised the way DOMPurify itself would (innerHTML).
  const fragment = DOMPurify.sanitize(html, { ...options, RETURN_DOM_FRAGMENT: true });
  breakLongRuns(fragment);
  const container = document.createElement('div');
  container.append(fragment);
  return container.innerHTML;
}
