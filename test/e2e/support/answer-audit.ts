import type { Page } from 'playwright-core';

/** What one look at the rendered answers found. */
export interface AnswerAudit {
  /** Answers on the page, oldest first. */
  answerCount: number;
  /** One line per element or attribute in an answer that could run code, load something, or take over the page. */
  activeElements: string[];
  /** The markers of each answer (same order as `markersPerAnswer`) that its readable text lacks. */
  missingMarkers: string[];
  /**
   * Wrapping text with no break opportunity longer than `longestRun`: Chromium lays such a run out
   * in quadratic time (3.5 s for 50 KB), so the page breaks them up (break-long-runs.ts).
   */
  unbrokenRuns: string[];
}

/**
 * Inspects the answers as the user gets them. Everything here runs in the page: the element
 * lists are long, and one evaluate is far cheaper than a locator per element.
 */
export function auditAnswers(page: Page, markersPerAnswer: readonly (readonly string[])[], longestRun: number): Promise<AnswerAudit> {
  return page.evaluate(([expected, longestRunAllowed]) => {
    // Elements that run script, embed or fetch content, submit data, or change how the page itself works.
    const activeTags = [
      'script', 'iframe', 'frame', 'frameset', 'object', 'embed', 'applet', 'portal', 'form', 'input', 'textarea', 'select',
      'base', 'meta', 'link', 'style', 'template', 'noscript', 'img', 'image', 'video', 'audio', 'source', 'track', 'marquee',
      'details', 'dialog', 'foreignObject', 'use', 'animate', 'set', 'animateTransform', 'animateMotion', 'handler', 'discard',
      'feImage', 'maction', 'annotation-xml',
    ];
    const urlAttributes = ['href', 'src', 'xlink:href', 'action', 'formaction', 'data', 'srcdoc', 'poster', 'background', 'values', 'to', 'from'];
    const scriptScheme = /^(javascript|vbscript|data|livescript):/i;
    // KaTeX styles sizes and margins; nothing in an answer needs these.
    const dangerousStyle = /url\s*\(|expression\s*\(|@import|behavior\s*:|-moz-binding|position\s*:\s*(fixed|absolute|sticky)/i;

    const answers = [...document.querySelectorAll('article[aria-label="Answer"] .markdown')];
    const activeElements: string[] = [];
    // A method, not a const arrow: tsx names const functions with a helper the page does not have.
    const html = {
      outline(element: Element) {
        return element.outerHTML.slice(0, 160);
      },
    };
    for (const [answerIndex, answer] of answers.entries()) {
      for (const element of answer.querySelectorAll('*')) {
        const tag = element.localName;
        const where = `answer ${answerIndex + 1}`;
        // The one button an answer may hold is the code block's own Copy button.
        const isCopyButton = tag === 'button' && element.hasAttribute('data-code-copy') && element.textContent === 'Copy';
        if (activeTags.includes(tag) || (tag === 'button' && !isCopyButton)) activeElements.push(`${where}: <${tag}> ${html.outline(element)}`);
        for (const attribute of element.attributes) {
          const name = attribute.name.toLowerCase();
          // Browsers drop control characters and spaces inside a URL scheme (`java\tscript:`).
          // eslint-disable-next-line no-control-regex -- those characters are the point
          const value = attribute.value.replace(/[\u0000-\u0020\u007f]/g, '');
          if (name.startsWith('on')) activeElements.push(`${where}: handler ${name} ${html.outline(element)}`);
          else if (urlAttributes.includes(name) && scriptScheme.test(value)) activeElements.push(`${where}: ${name}=${value.slice(0, 80)}`);
          else if (name === 'style' && dangerousStyle.test(attribute.value)) activeElements.push(`${where}: style ${attribute.value.slice(0, 80)}`);
          // A named element becomes a property of window or document (DOM clobbering).
          else if (name === 'id' || name === 'name' || name === 'form') activeElements.push(`${where}: ${name}=${value.slice(0, 80)}`);
        }
        if (tag === 'a' && element.hasAttribute('href') && element.getAttribute('rel') !== 'noopener noreferrer') {
          activeElements.push(`${where}: link without rel=noopener ${html.outline(element)}`);
        }
      }
    }

    const missingMarkers: string[] = [];
    for (const [answerIndex, markers] of expected.entries()) {
      const answer = answers[answerIndex];
      if (!answer) {
        missingMarkers.push(...markers);
        continue;
      }
      // Readable text: KaTeX's MathML copy for screen readers repeats the TeX source, which
      // would hide a formula whose visible rendering lost the text.
      const readable = answer.cloneNode(true) as Element;
      for (const hidden of readable.querySelectorAll('.katex-mathml')) hidden.remove();
      const text = readable.textContent ?? '';
      missingMarkers.push(...markers.filter((marker) => !text.includes(marker)));
    }

    const unbrokenRuns: string[] = [];
    const tooLong = new RegExp(`\\S{${longestRunAllowed + 1}}`);
    for (const [answerIndex, answer] of answers.entries()) {
      const walker = document.createTreeWalker(answer, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        // Code blocks and KaTeX never wrap, so their layout stays linear.
        if (tooLong.test(node.nodeValue ?? '') && !node.parentElement?.closest('pre, .katex')) {
          unbrokenRuns.push(`answer ${answerIndex + 1}: ${(node.nodeValue ?? '').slice(0, 60)}…`);
        }
      }
    }
    return { answerCount: answers.length, activeElements, missingMarkers, unbrokenRuns };
  }, [markersPerAnswer, longestRun] as const);
}

/**
 * Elements anywhere in the document that only code could add: compared before and after the
 * payloads. The page's own lazy chunks add same-origin `<link>`s (KaTeX's stylesheet), so only
 * links elsewhere count.
 */
export function countDocumentWideActiveElements(page: Page): Promise<Record<string, number>> {
  return page.evaluate(() => {
    const counts: Record<string, number> = {};
    for (const selector of ['script', 'iframe', 'object', 'embed', 'base', 'meta', 'style', 'form']) counts[selector] = document.querySelectorAll(selector).length;
    counts['link elsewhere'] = [...document.querySelectorAll('link')].filter((link) => !link.href.startsWith(`${location.origin}/`)).length;
    return counts;
  });
}

/**
 * Hovers, focuses and clicks every element of the answers, so payloads waiting for a user
 * (onmouseover, onfocus, onclick) get their chance. Links are not clicked: they open a new tab
 * by design, and their URLs are checked by `auditAnswers`.
 */
export function interactWithAnswers(page: Page): Promise<number> {
  return page.evaluate(() => {
    let touched = 0;
    for (const element of document.querySelectorAll('article[aria-label="Answer"] .markdown *')) {
      for (const type of ['pointerover', 'pointerenter', 'mouseover', 'mouseenter', 'mousemove', 'focusin', 'animationstart', 'toggle']) {
        element.dispatchEvent(new Event(type, { bubbles: true }));
      }
      if (element instanceof HTMLElement || element instanceof SVGElement) element.focus({ preventScroll: true });
      const isLink = element.closest('a') !== null;
      const isCopyButton = element.closest('[data-code-copy]') !== null;
      if (!isLink && !isCopyButton) element.dispatchEvent(new MouseEvent('click', { bubbles: true, cancelable: true }));
      touched++;
    }
    return touched;
  });
}
