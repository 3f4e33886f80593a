import { ApiError } from '../services/api-error.ts';
import { withFieldLabel } from './validate-settings-form.ts';

export interface ErrorDescription {
  title: string;
  detail: string;
}

const byCode: Record<string, string> = {
  'server-unreachable': 'The anychat server is not answering',
  unreachable: 'The model endpoint is down or unreachable',
  timeout: 'The model endpoint timed out',
  overloaded: 'The model is busy with other requests',
  'context-overflow': 'The conversation no longer fits the model’s context window',
  unauthorized: 'The model endpoint refused anychat’s credentials',
  validation: 'The request was rejected',
  'model-load': 'The model could not be loaded',
  'stream-cut': 'The connection to the model was cut',
  upstream: 'The model endpoint failed',
  protocol: 'The model endpoint sent something anychat cannot read',
  generation: 'The model failed while generating',
  internal: 'Something went wrong on the server',
};

/** What to do about it: every failure a user can meet says what happened and what to try next. */
const advice: Record<string, string> = {
  overloaded: 'Wait a moment and retry.',
  'server-unreachable': 'Check that `anychat serve` is running, then retry.',
  unreachable: 'Check that the model server is running, then retry.',
  timeout: 'The model server is stuck or slow: retry, and check the server if it keeps happening.',
  unauthorized: 'Check the API key anychat is given for the endpoint (`--api-key`, or HF_TOKEN), then retry.',
  validation: 'Check the message and the advanced options, then retry.',
  'stream-cut': 'The text received so far is kept. Retry to answer again.',
  upstream: 'Retry; if it keeps failing, check the model server’s logs.',
  protocol: 'Check that the endpoint is a TGI or OpenAI-compatible server, then retry.',
  generation: 'Retry; if it keeps failing, check the model server’s logs.',
  'model-load': 'Check the model file, then restart anychat.',
  'context-overflow': 'Start a new chat, or shorten the message.',
  internal: 'Retry; if it keeps failing, check the anychat server’s logs.',
};

/** One wording for every failure, whether it came as an HTTP error or an `answer-error` event. */
export function describeError(code: string, message: string): ErrorDescription {
  const title = byCode[code] ?? (code === 'http-429' ? byCode['overloaded']! : 'The answer failed');
  const hint = advice[code];
  const sentence = /[.!?]$/.test(message.trim()) ? message.trim() : `${message.trim()}.`;
  return { title, detail: hint ? `${sentence} ${hint}` : message };
}

export function describeThrown(error: unknown): ErrorDescription & { code: string } {
  if (error instanceof ApiError) {
    const code = error.status === 429 ? 'overloaded' : error.code;
    return { code, ...describeError(code, withFieldLabel(error.message, error.field)) };
  }
  return { code: 'internal', ...describeError('internal', error instanceof Error ? error.message : String(error)) };
}
