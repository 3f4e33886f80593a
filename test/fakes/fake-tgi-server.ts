/**
 * An in-process fake text-generation-inference server speaking TGI's real wire format
 * (`docs/openapi.json` of huggingface/text-generation-inference): `POST /generate`,
 * `POST /generate_stream` (SSE written as `data:{…}` with no space, as TGI's axum router does),
 * `GET /info`, `POST /tokenize`. It "generates" the last user message of the prompt word by word.
 *
 *   const tgi = await startFakeTgiServer({ modelId: 'fake/llama', apiKey: 'secret' });
 *   createTgiBackend({ backend: 'tgi', endpoint: tgi.endpoint, apiKey: 'secret' });
 *   tgi.setFault({ kind: 'drop-mid-stream', afterTokens: 2 }); // faults: see UpstreamFault
 *   tgi.requests;                                              // what the client sent
 *   await tgi.close();
 *
 * Behaviour copied from TGI: `max_new_tokens` ends with `length`; a natural end sends a last
 * special EOS token (`</s>`) whose text is not in `generated_text`; a stop sequence stays in the
 * text (`stop_sequence`); `details` only when asked; temperature ≤ 0, top_p outside (0, 1) and
 * more than 4 stop sequences are rejected as validation errors (422 on /generate, an error event
 * inside a 200 stream on /generate_stream, as TGI validates after opening the stream).
 */
import type { ServerResponse } from 'node:http';
import {
  applyFaultBeforeHeaders,
  checkBearer,
  SseWriter,
  sendJson,
  startFakeHttpServer,
  type FakeHttpServer,
  type RecordedRequest,
  type UpstreamFault,
} from './fake-upstream-server.ts';
import { countWords, lastUserMessageInPrompt, planEcho } from './echo-script.ts';
import { splitIntoWords } from '../../src/backends/echo/echo-backend.ts';

export interface FakeTgiServerOptions {
  modelId?: string;
  /** `max_total_tokens` in /info. */
  maxTotalTokens?: number;
  /** When set, every route wants `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** false: /info answers 404 (a proxy, or not really TGI). */
  serveInfo?: boolean;
  /** false: /tokenize answers 404 "No fast tokenizer available", like TGI without a fast tokenizer. */
  serveTokenize?: boolean;
  /** Split every SSE write into slices of this many bytes. */
  chunkBytes?: number;
  /** Instead of echoing, send these `/generate_stream` payloads verbatim (a recorded stream). */
  replay?: string[];
  fault?: UpstreamFault | null;
}

export interface FakeTgiServer extends FakeHttpServer {
  setFault(fault: UpstreamFault | null): void;
}

interface TgiParameters {
  max_new_tokens?: number;
  stop?: string[];
  temperature?: number;
  top_p?: number;
  details?: boolean;
  decoder_input_details?: boolean;
}

export async function startFakeTgiServer(options: FakeTgiServerOptions = {}): Promise<FakeTgiServer> {
  let fault = options.fault ?? null;
  const server = await startFakeHttpServer(async (request, response) => {
    const unauthorized = { error: 'Authorization header is correct, but the token seems invalid', error_type: 'unauthorized' };
    if (!checkBearer(request, response, options.apiKey, unauthorized)) return;
    const route = `${request.method} ${request.path}`;
    if (route === 'GET /info') return serveInfo(response, options);
    if (route === 'POST /tokenize') return serveTokenize(request, response, options);
    if (route === 'POST /generate' || route === 'POST /generate_stream') {
      if ((await applyFaultBeforeHeaders(fault, response, tgiErrorBody)) === 'handled') return;
      return route === 'POST /generate' ? serveGenerate(request, response) : serveGenerateStream(request, response, options, fault);
    }
    sendJson(response, 404, { error: `no route ${route}`, error_type: 'not_found' });
  });
  return { ...server, setFault: (next) => (fault = next) };
}

function tgiErrorBody(message: string, errorType: string | undefined): unknown {
  return { error: message, error_type: errorType ?? 'generation' };
}

function serveInfo(response: ServerResponse, options: FakeTgiServerOptions): void {
  if (options.serveInfo === false) return sendJson(response, 404, { error: 'Not Found' });
  sendJson(response, 200, {
    model_id: options.modelId ?? 'fake/tgi-echo',
    model_sha: null,
    max_concurrent_requests: 128,
    max_best_of: 2,
    max_stop_sequences: 4,
    max_input_tokens: (options.maxTotalTokens ?? 4096) - 1,
    max_total_tokens: options.maxTotalTokens ?? 4096,
    validation_workers: 2,
    max_client_batch_size: 4,
    router: 'text-generation-router',
    version: '2.4.1-fake',
  });
}

function serveTokenize(request: RecordedRequest, response: ServerResponse, options: FakeTgiServerOptions): void {
  if (options.serveTokenize === false) return sendJson(response, 404, { error: 'No fast tokenizer available', error_type: 'tokenizer' });
  const inputs = (request.body as { inputs?: string } | undefined)?.inputs ?? '';
  let start = 0;
  const tokens = splitIntoWords(inputs).map((word, index) => {
    const token = { id: 1000 + index, text: word, start, stop: start + word.length };
    start += word.length;
    return token;
  });
  sendJson(response, 200, tokens);
}

function validationProblem(parameters: TgiParameters): string | null {
  if (parameters.temperature !== undefined && parameters.temperature <= 0) {
    return 'Input validation error: `temperature` must be strictly positive';
  }
  if (parameters.top_p !== undefined && (parameters.top_p <= 0 || parameters.top_p >= 1)) {
    return 'Input validation error: `top_p` must be > 0.0 and < 1.0';
  }
  if ((parameters.stop?.length ?? 0) > 4) return 'Input validation error: `stop` supports up to 4 stop sequences. Given: 5';
  return null;
}

function body(request: RecordedRequest): { inputs?: string; parameters?: TgiParameters } {
  return (request.body ?? {}) as { inputs?: string; parameters?: TgiParameters };
}

function planFor(request: RecordedRequest) {
  const parameters = body(request).parameters ?? {};
  const inputs = body(request).inputs ?? '';
  const script = planEcho(lastUserMessageInPrompt(inputs), {
    maxTokens: parameters.max_new_tokens ?? 100,
    stop: parameters.stop ?? [],
    keepStopSequence: true,
  });
  return { parameters, inputLength: countWords(inputs), script };
}

const finishReasons = { length: 'length', eos: 'eos_token', stop: 'stop_sequence' } as const;
const eosToken = { id: 2, text: '</s>', logprob: -0.01, special: true };

function serveGenerate(request: RecordedRequest, response: ServerResponse): void {
  const { parameters, inputLength, script } = planFor(request);
  const problem = validationProblem(parameters);
  if (problem) return sendJson(response, 422, { error: problem, error_type: 'validation' });
  const tokens = script.tokens.map((text, index) => ({ id: 1000 + index, text, logprob: -0.1, special: false }));
  if (script.finish === 'eos') tokens.push(eosToken);
  sendJson(response, 200, {
    generated_text: script.tokens.join(''),
    details: parameters.details
      ? {
          finish_reason: finishReasons[script.finish],
          generated_tokens: tokens.length,
          // TGI's prefill: each prompt token, the first without a log-probability.
          prefill: parameters.decoder_input_details
            ? splitIntoWords(body(request).inputs ?? '').map((text, index) => ({ id: 500 + index, text, logprob: index === 0 ? null : -1 - index / 10 }))
            : [],
          seed: null,
          tokens,
          top_tokens: null,
          best_of_sequences: null,
          input_length: inputLength,
        }
      : null,
  });
}

async function serveGenerateStream(
  request: RecordedRequest,
  response: ServerResponse,
  options: FakeTgiServerOptions,
  fault: UpstreamFault | null,
): Promise<void> {
  const tokenPayload = (text: string, index: number) =>
    JSON.stringify({ index: index + 1, token: { id: 1000 + index, text, logprob: -0.1, special: false }, generated_text: null, details: null });
  const writer = new SseWriter(response, { dataPrefix: 'data:', chunkBytes: options.chunkBytes, fault, tokenPayload });
  const errorEvent = (message: string, errorType: string | undefined) => JSON.stringify(tgiErrorBody(message, errorType));
  writer.open();
  if (options.replay) {
    for (const payload of options.replay) if (!(await writer.writeToken(payload, errorEvent))) return;
    return writer.end();
  }
  const { parameters, inputLength, script } = planFor(request);
  const problem = validationProblem(parameters);
  if (problem) {
    await writer.writeEvent(JSON.stringify({ error: problem, error_type: 'validation' }));
    return writer.end();
  }
  const tokens = script.tokens.map((text, index) => ({ id: 1000 + index, text, logprob: -0.1, special: false }));
  if (script.finish === 'eos') tokens.push(eosToken);
  for (const [index, token] of tokens.entries()) {
    const last = index === tokens.length - 1;
    const event = {
      index: index + 1,
      token,
      generated_text: last ? script.tokens.join('') : null,
      details:
        last && parameters.details
          ? { finish_reason: finishReasons[script.finish], generated_tokens: tokens.length, seed: null, input_length: inputLength }
          : null,
    };
    if (!(await writer.writeToken(JSON.stringify(event), errorEvent))) return;
  }
  writer.end();
}
