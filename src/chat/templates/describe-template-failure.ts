import { TemplateRaisedError } from './jinja2-environment.ts';

const advice = 'pass a template that works with --chat-template FILE, or use --template plain';

/**
 * One line that names the template and what went wrong in it. A template that raises on purpose
 * (`raise_exception`) refuses the conversation; anything else is a construct our renderer could not
 * run, and the user's way out is another template.
 */
export function describeTemplateFailure(templateName: string, what: 'could not be parsed' | 'failed', error: unknown): string {
  const detail = (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ').trim();
  if (error instanceof TemplateRaisedError) return `${templateName} refuses this conversation: ${detail}; ${advice}`;
  return `${templateName} ${what}: ${detail}; ${advice}`;
}
