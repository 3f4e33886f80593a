import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createTestApp } from '../../../test/support/test-app.ts';
import { CSP_REPORT_BODY_LIMIT_BYTES, CSP_REPORT_LOG_LINES_PER_MINUTE, CSP_REPORT_PATH } from './csp-report-routes.ts';

const apiKey = 'csp-report-test-key-41d';
const bearer = { authorization: `Bearer ${apiKey}` };

/** What Chromium posts for `report-uri` when an inline script is blocked. */
const inlineScriptReport = {
  'csp-report': {
    'document-uri': 'http://127.0.0.1:7860/c/1',
    referrer: '',
    'violated-directive': 'script-src-elem',
    'effective-directive': 'script-src-elem',
    'original-policy': "default-src 'self'; script-src 'self'; report-uri /api/csp-report",
    disposition: 'enforce',
    'blocked-uri': 'inline',
    'line-number': 12,
    'source-file': 'http://127.0.0.1:7860/assets/index.js',
    'status-code': 200,
    'script-sample': '',
  },
};

/** The Reporting API's batch: two violations and a report of another type. */
const reportingApiBatch = [
  { type: 'csp-violation', age: 10, url: 'http://127.0.0.1:7860/', body: { documentURL: 'http://127.0.0.1:7860/', blockedURL: 'https://evil.example/x.png', effectiveDirective: 'img-src', disposition: 'enforce' } },
  { type: 'csp-violation', age: 12, url: 'http://127.0.0.1:7860/', body: { documentURL: 'http://127.0.0.1:7860/', blockedURL: 'eval', effectiveDirective: 'made-up-directive' } },
  { type: 'deprecation', age: 20, url: 'http://127.0.0.1:7860/', body: { id: 'SomeFeature', message: 'going away' } },
];

function sendReport(app: ReturnType<typeof createTestApp>['app'], contentType: string, body: string, remoteAddress = '127.0.0.1') {
  // No API key: the browser sends reports without it (see csp-report-routes.ts). The Host is the
  // page's, whose documents the reports are about.
  return app.inject({ method: 'POST', url: CSP_REPORT_PATH, headers: { 'content-type': contentType, host: '127.0.0.1:7860' }, payload: body, remoteAddress });
}

async function ignoredCounts(app: ReturnType<typeof createTestApp>['app']): Promise<Record<string, number>> {
  const metrics = (await app.inject({ method: 'GET', url: '/metrics', headers: bearer })).body;
  const counts: Record<string, number> = {};
  for (const [, reason, value] of metrics.matchAll(/^anychat_csp_reports_ignored_total\{reason="([^"]+)"\} (\d+)$/gm)) counts[reason!] = Number(value);
  return counts;
}

async function violationCounts(app: ReturnType<typeof createTestApp>['app']): Promise<Record<string, number>> {
  const metrics = (await app.inject({ method: 'GET', url: '/metrics', headers: bearer })).body;
  const counts: Record<string, number> = {};
  for (const [, directive, value] of metrics.matchAll(/^anychat_csp_violations_total\{directive="([^"]+)"\} (\d+)$/gm)) counts[directive!] = Number(value);
  return counts;
}

const violationLines = (logs: ReturnType<typeof createTestApp>['logs']) => logs.entries().filter((entry) => entry.msg === 'content security policy violation');

describe('CSP violation reports', () => {
  it('are where the page’s policy sends them', async () => {
    const { app } = createTestApp({ apiKey });
    const page = await app.inject({ method: 'GET', url: '/', headers: { accept: 'text/html' } });
    assert.match(String(page.headers['content-security-policy']), /(^|; )report-uri \/api\/csp-report(;|$)/);
    await app.close();
  });

  it('accept a report-uri report without an API key, count it by directive and log one line', async () => {
    const { app, logs } = createTestApp({ apiKey });
    const response = await sendReport(app, 'application/csp-report', JSON.stringify(inlineScriptReport));
    assert.equal(response.statusCode, 204);
    assert.deepEqual(await violationCounts(app), { 'script-src-elem': 1 });
    const lines = violationLines(logs);
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!.level, 40);
    assert.deepEqual(lines[0]!.cspViolation, {
      directive: 'script-src-elem',
      blockedUri: 'inline',
      documentUri: 'http://127.0.0.1:7860/c/1',
      sourceFile: 'http://127.0.0.1:7860/assets/index.js',
      lineNumber: 12,
      sample: '',
    });
    await app.close();
  });

  it('accept a Reporting API batch, count its violations and skip its other reports', async () => {
    const { app, logs } = createTestApp({ apiKey });
    assert.equal((await sendReport(app, 'application/reports+json', JSON.stringify(reportingApiBatch))).statusCode, 204);
    // A directive the server does not know is counted as "other": labels come from a fixed list.
    assert.deepEqual(await violationCounts(app), { 'img-src': 1, other: 1 });
    assert.deepEqual(
      violationLines(logs).map((line) => (line.cspViolation as { blockedUri: string }).blockedUri),
      ['https://evil.example/x.png', 'eval'],
    );
    await app.close();
  });

  it('refuse other content types, malformed or oversized bodies, and count nothing for them', async () => {
    const { app } = createTestApp({ apiKey });
    const valid = JSON.stringify(inlineScriptReport);
    assert.equal((await sendReport(app, 'application/x-www-form-urlencoded', valid)).statusCode, 415);
    // Fastify reads text/plain as a string, which is no report.
    assert.equal((await sendReport(app, 'text/plain', valid)).statusCode, 400);
    assert.equal((await sendReport(app, 'application/csp-report', '{"csp-report": ')).statusCode, 400);
    assert.equal((await sendReport(app, 'application/csp-report', '{"not-a-report": {}}')).statusCode, 400);
    // Fastify's own JSON parser, which refuses prototype poisoning.
    assert.equal((await sendReport(app, 'application/csp-report', '{"__proto__": {"polluted": true}, "csp-report": {}}')).statusCode, 400);
    const padded = JSON.stringify({ 'csp-report': { ...inlineScriptReport['csp-report'], 'script-sample': 'x'.repeat(CSP_REPORT_BODY_LIMIT_BYTES) } });
    assert.equal((await sendReport(app, 'application/csp-report', padded)).statusCode, 413);
    const tooManyReports = JSON.stringify(Array.from({ length: 101 }, () => reportingApiBatch[0]));
    assert.equal((await sendReport(app, 'application/reports+json', tooManyReports)).statusCode, 400);
    assert.deepEqual(await violationCounts(app), {});
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    await app.close();
  });

  it('count every violation but log at most the per-minute budget, with long fields cut short', async () => {
    // More reports than the rate limit lets through: this test is about the log budget.
    const { app, logs } = createTestApp({ apiKey, limits: { cspReportBurst: 1000, cspReportGlobalBurst: 1000 } });
    const longSample = JSON.stringify({ 'csp-report': { ...inlineScriptReport['csp-report'], 'script-sample': 'y'.repeat(5000) } });
    const reports = CSP_REPORT_LOG_LINES_PER_MINUTE + 10;
    for (let index = 0; index < reports; index++) assert.equal((await sendReport(app, 'application/csp-report', longSample)).statusCode, 204);
    assert.deepEqual(await violationCounts(app), { 'script-src-elem': reports });
    const lines = violationLines(logs);
    assert.equal(lines.length, CSP_REPORT_LOG_LINES_PER_MINUTE);
    assert.ok(lines.every((line) => String((line.cspViolation as { sample: string }).sample).length <= 301));
    await app.close();
  });

  it('count only reports about this server’s own documents', async () => {
    const { app } = createTestApp({ apiKey });
    const elsewhere = { 'csp-report': { ...inlineScriptReport['csp-report'], 'document-uri': 'https://evil.example/page' } };
    const noDocument = { 'csp-report': { 'effective-directive': 'script-src-elem', 'blocked-uri': 'inline' } };
    for (const report of [elsewhere, noDocument]) assert.equal((await sendReport(app, 'application/csp-report', JSON.stringify(report))).statusCode, 204);
    assert.deepEqual(await violationCounts(app), {});
    assert.deepEqual(await ignoredCounts(app), { 'other-document': 2 });
    await app.close();
  });

  it('rate-limit a flood per address and over all addresses, with 429 and Retry-After (injected clock)', async () => {
    let clock = 0;
    const { app } = createTestApp({ apiKey, now: () => clock, limits: { cspReportBurst: 5, cspReportRefillMs: 2000, cspReportGlobalBurst: 8, cspReportGlobalRefillMs: 1000 } });
    const report = JSON.stringify(inlineScriptReport);
    const statuses: number[] = [];
    for (let index = 0; index < 608; index++) statuses.push((await sendReport(app, 'application/csp-report', report, '203.0.113.5')).statusCode);
    assert.equal(statuses.filter((status) => status === 204).length, 5);
    const limited = await sendReport(app, 'application/csp-report', report, '203.0.113.5');
    assert.equal(limited.statusCode, 429);
    assert.equal(limited.headers['retry-after'], '2');
    // Another address gets the rest of the global allowance, then the global limit holds.
    for (let index = 0; index < 10; index++) await sendReport(app, 'application/csp-report', report, '198.51.100.8');
    assert.deepEqual(await violationCounts(app), { 'script-src-elem': 8 });
    assert.equal((await ignoredCounts(app))['rate-limited'], 608 - 5 + 1 + 10 - 3);
    clock += 2000;
    assert.equal((await sendReport(app, 'application/csp-report', report, '203.0.113.5')).statusCode, 204);
    assert.deepEqual(await violationCounts(app), { 'script-src-elem': 9 });
    await app.close();
  });
});
