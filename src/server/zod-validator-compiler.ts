import type { FastifySchemaCompiler } from 'fastify';
import { safeParse, type $ZodIssue, type $ZodType } from 'zod/v4/core';
import { HttpProblem } from './http-problem.ts';

/**
 * Validates bodies, params and query strings with the route's zod schema. Unlike the type
 * provider's own compiler, it asks zod to report the rejected input, so every 4xx names the
 * field, the value and what was expected, e.g. `parameters.top_p: must be ≤ 1, got 1.5`.
 * Errors are thrown as HttpProblem (status 400); API families that use another status for
 * validation (TGI: 422) re-map it in the error handler.
 */
export const zodValidatorCompiler: FastifySchemaCompiler<$ZodType> =
  ({ schema, httpPart }) =>
  (data) => {
    const result = safeParse(schema, data, { reportInput: true });
    if (result.success) return { value: result.data };
    const issue = result.error.issues[0];
    const problem = issue ? problemFromIssue(issue, httpPart) : new HttpProblem(400, 'validation', 'invalid request');
    return { error: problem };
  };

function problemFromIssue(issue: $ZodIssue, httpPart?: string): HttpProblem {
  const field = issue.path.map(String).join('.');
  const where = field || (httpPart === 'body' || httpPart === undefined ? 'body' : httpPart);
  // Our own schemas write full sentences that already carry the value; zod's defaults do not.
  const alreadyDescribed = /\bgot\b/.test(issue.message);
  // Unknown fields are named already; "got object" after them would say nothing.
  const unknownFields = issue.code === 'unrecognized_keys';
  const got = alreadyDescribed || unknownFields || !('input' in issue) ? '' : `, got ${describeValue(issue.input)}`;
  const message = unknownFields ? `unknown field(s): ${issue.keys.join(', ')}; leave them out` : issue.message;
  return new HttpProblem(400, 'validation', `${where}: ${message}${got}`, field || undefined);
}

/** A short, safe rendering of a rejected input value for error messages (never the whole body). */
function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `a list of ${value.length}`;
  return typeof value;
}
