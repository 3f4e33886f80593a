import type { BackendErrorCode } from '../backends/backend.ts';

/**
 * What a user of the command line can do about each failure, naming the flags that help. The
 * message says what happened (often in the upstream's own words); this says what to do next.
 */
const adviceByCode: Record<BackendErrorCode, string> = {
  unreachable: 'check that the server is running and that --endpoint is right',
  timeout: 'the server is stuck or slow: try again, or allow more time with --upstream-timeout or --timeout',
  unauthorized: 'check the key given with --api-key (or HF_API_KEY, HF_TOKEN)',
  validation: 'the server refused these settings: check the prompt and the generation options',
  overloaded: 'the server is busy: try again in a moment',
  upstream: 'the server failed: try again, or check its logs',
  protocol: 'check that --endpoint is a TGI or OpenAI-compatible server, and --backend',
  'stream-cut': 'the connection was cut: try again',
  'model-load': 'check the file given with --model',
  'context-overflow': 'shorten the prompt or lower --max-new-tokens',
  generation: 'the model failed while answering: try again, or check the server’s logs',
};

export function adviceFor(code: BackendErrorCode): string {
  return adviceByCode[code];
}
