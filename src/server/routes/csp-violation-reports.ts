import { z } from 'zod';

/*
 * The two shapes browsers send a Content-Security-Policy violation in. Only the fields we log are
 * listed; anything else is dropped. Strings are cut short: a report is written by whoever sends
 * it, and each one ends up in a log line.
 */
const reportedText = z
  .string()
  .transform((text) => (text.length > 300 ? `${text.slice(0, 300)}…` : text))
  .optional();

/** `report-uri`, `Content-Type: application/csp-report`: one violation per request. */
const legacyReportSchema = z.object({
  'csp-report': z.object({
    'document-uri': reportedText,
    'violated-directive': reportedText,
    'effective-directive': reportedText,
    'blocked-uri': reportedText,
    'source-file': reportedText,
    'line-number': z.number().optional(),
    'script-sample': reportedText,
  }),
});

/** The Reporting API (`report-to`), `Content-Type: application/reports+json`: a batch of reports of any type. */
const reportingApiBatchSchema = z
  .array(
    z.object({
      type: z.string(),
      body: z
        .object({
          documentURL: reportedText,
          effectiveDirective: reportedText,
          blockedURL: reportedText,
          sourceFile: reportedText,
          lineNumber: z.number().optional(),
          sample: reportedText,
        })
        .optional(),
    }),
  )
  .max(100);

export const cspReportBodySchema = z.union([legacyReportSchema, reportingApiBatchSchema], {
  // zod's own word for a failed union, "Invalid input", would not say what was expected.
  error: 'expected a CSP report, {"csp-report": {…}} as report-uri sends it, or a list of at most 100 Reporting API reports',
});
export type CspReportBody = z.infer<typeof cspReportBodySchema>;

export interface CspViolation {
  /** The directive that blocked something, from a fixed list so it can be a metric label. */
  directive: string;
  blockedUri: string | null;
  documentUri: string | null;
  sourceFile: string | null;
  lineNumber: number | null;
  sample: string | null;
}

/*
 * Metric labels must come from a bounded set: a label per distinct string a client sends would
 * let anyone grow /metrics without limit.
 */
const knownDirectives = new Set([
  'default-src',
  'script-src',
  'script-src-elem',
  'script-src-attr',
  'style-src',
  'style-src-elem',
  'style-src-attr',
  'img-src',
  'font-src',
  'connect-src',
  'media-src',
  'object-src',
  'frame-src',
  'child-src',
  'worker-src',
  'manifest-src',
  'base-uri',
  'form-action',
  'frame-ancestors',
  'require-trusted-types-for',
  'trusted-types',
]);

function directiveLabel(effective: string | undefined, violated: string | undefined): string {
  // `violated-directive` may carry the directive's value too ("script-src 'self'").
  const name = (effective ?? violated ?? '').trim().split(/\s+/)[0]?.toLowerCase() ?? '';
  return knownDirectives.has(name) ? name : 'other';
}

/** The violations a report body carries; other Reporting API report types (deprecation, intervention) are skipped. */
export function violationsIn(body: CspReportBody): CspViolation[] {
  if (!Array.isArray(body)) {
    const report = body['csp-report'];
    return [
      {
        directive: directiveLabel(report['effective-directive'], report['violated-directive']),
        blockedUri: report['blocked-uri'] ?? null,
        documentUri: report['document-uri'] ?? null,
        sourceFile: report['source-file'] ?? null,
        lineNumber: report['line-number'] ?? null,
        sample: report['script-sample'] ?? null,
      },
    ];
  }
  return body
    .filter((report) => report.type === 'csp-violation')
    .map(({ body: report = {} }) => ({
      directive: directiveLabel(report.effectiveDirective, undefined),
      blockedUri: report.blockedURL ?? null,
      documentUri: report.documentURL ?? null,
      sourceFile: report.sourceFile ?? null,
      lineNumber: report.lineNumber ?? null,
      sample: report.sample ?? null,
    }));
}
