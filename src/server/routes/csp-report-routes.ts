import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { Counter } from 'prom-client';
import { APP_API_PREFIX } from '../api-prefixes.ts';
import { createLogBudget } from '../observability/log-budget.ts';
import type { ServerContext } from '../server-context.ts';
import { cspReportBodySchema, violationsIn } from './csp-violation-reports.ts';

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
 */
export function registerCspReportRoutes(app: FastifyInstance, context: ServerContext): void {
  const violations = new Counter({
    name: 'anychat_csp_violations_total',
    help: 'Content-Security-Policy violations the page reported, by directive',
    labelNames: ['directive'],
    registers: [context.metrics.registry],
  });
  const logBudget = createLogBudget(CSP_REPORT_LOG_LINES_PER_MINUTE, 60_000);

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
        for (const violation of violationsIn(request.body)) {
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
