import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { Counter } from 'prom-client';
import { APP_API_PREFIX } from '../api-prefixes.ts';
import { HttpProblem } from '../http-problem.ts';
import { createLogBudget } from '../observability/log-budget.ts';
import { AddressRateLimiter } from '../rate-limit/address-rate-limiter.ts';
import type { ServerContext } from '../server-context.ts';
import { cspReportBodySchema, violationsIn, type CspViolation } from './csp-violation-reports.ts';

/** The route, under the app API's prefix. */
const CSP_REPORT_ROUTE = '/csp-report';

/** Where the page's Content-Security-Policy sends its violations (`report-uri`). */
export const CSP_REPORT_PATH = `${APP_API_PREFIX}${CSP_REPORT_ROUTE}`;

/** A browser's report is a few hundred bytes; a batch of 100 fits with room to spare. */
export const CSP_REPORT_BODY_LIMIT_BYTES = 64 * 1024;

/** Log lines per minute at most: a page stuck in a loop (or a script posting reports) must not flood the log. */
export const CSP_REPORT_LOG_LINES_PER_MINUTE = 60;

/**
 * Receives the page's CSP violation reports: one warning line per violation (within a budget)
 * and `anychat_csp_violations_total{directive}` in /metrics, which the hostile-output browser
 * suite reads. A violation on the page means something tried to run, load or navigate where the
 * policy forbids it: most likely model output that got past the sanitizer.
 *
 * No API key is asked for, on purpose. The browser sends these reports by itself, without the
 * page's Authorization header and, as the Reporting spec has it, without its session cookie, and
 * the login page has the same policy; requiring the key would drop exactly the reports that
 * matter. An anonymous report can only add a count and one bounded, rate-limited log line.
 *
 * Because anyone can post one, the counter is only a witness for reports that look like the page's
 * own: a document on this server's origin. Others go to `anychat_csp_reports_ignored_total`. Reports
 * are rate-limited per address and over all addresses (a script once posted 608 fake violations in
 * 2 s); the browser suite also counts the violations its page itself sees.
 */
export function registerCspReportRoutes(app: FastifyInstance, context: ServerContext): void {
  const violations = new Counter({
    name: 'anychat_csp_violations_total',
    help: 'Content-Security-Policy violations the page reported, by directive',
    labelNames: ['directive'],
    registers: [context.metrics.registry],
  });
  const ignored = new Counter({
    name: 'anychat_csp_reports_ignored_total',
    help: 'CSP reports not counted as violations: not from this server\'s page, or over the rate limit',
    labelNames: ['reason'],
    registers: [context.metrics.registry],
  });
  const logBudget = createLogBudget(CSP_REPORT_LOG_LINES_PER_MINUTE, 60_000);
  const { limits } = context;
  const perAddress = new AddressRateLimiter({ burst: limits.cspReportBurst, refillMs: limits.cspReportRefillMs }, context.now);
  const overall = new AddressRateLimiter({ burst: limits.cspReportGlobalBurst, refillMs: limits.cspReportGlobalRefillMs, maxAddresses: 1 }, context.now);
  const everyone = 'all addresses';

  // A child scope, so the report content types are parsed as JSON for this route only.
  void app.register(async (scope) => {
    scope.addContentTypeParser(['application/csp-report', 'application/reports+json'], { parseAs: 'string' }, scope.getDefaultJsonParser('error', 'error'));
    scope.withTypeProvider<ZodTypeProvider>().post(
      CSP_REPORT_ROUTE,
      {
        bodyLimit: CSP_REPORT_BODY_LIMIT_BYTES,
        config: { public: true },
        schema: {
          tags: ['App API: server'],
          summary: 'Content-Security-Policy violation reports from the page (report-uri or Reporting API)',
          body: cspReportBodySchema,
        },
      },
      async (request, reply) => {
        const retryAfter = Math.max(perAddress.retryAfterSeconds(request.ip), overall.retryAfterSeconds(everyone));
        if (retryAfter > 0) {
          ignored.inc({ reason: 'rate-limited' });
          reply.header('retry-after', String(retryAfter));
          throw new HttpProblem(429, 'rate-limited', `too many CSP reports: try again in ${retryAfter} s`);
        }
        const ownOrigin = originOf(`${request.protocol}://${request.headers.host ?? ''}`);
        for (const violation of violationsIn(request.body)) {
          if (ownOrigin === null || !isFromOrigin(violation, ownOrigin)) {
            ignored.inc({ reason: 'other-document' });
            continue;
          }
          if (perAddress.retryAfterSeconds(request.ip) > 0 || overall.retryAfterSeconds(everyone) > 0) {
            ignored.inc({ reason: 'rate-limited' });
            continue;
          }
          perAddress.spend(request.ip);
          overall.spend(everyone);
          violations.inc({ directive: violation.directive });
          const { logged, suppressedBefore } = logBudget.take();
          if (!logged) continue;
          request.log.warn({ cspViolation: violation, ...(suppressedBefore > 0 ? { suppressedViolations: suppressedBefore } : {}) }, 'content security policy violation');
        }
        return reply.code(204).send();
      },
    );
  });
}

function originOf(url: string): string | null {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}

/** Whether the report is about a document of this server (the page itself, or any of its routes). */
function isFromOrigin(violation: CspViolation, ownOrigin: string): boolean {
  return violation.documentUri !== null && originOf(violation.documentUri) === ownOrigin;
}
