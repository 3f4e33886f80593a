/**
 * An in-process fake OpenAI-compatible server (modelled on vLLM, which most of them follow):
 * `GET /v1/models` and `POST /v1/chat/completions`, streaming (`data: {…}` chunks, the
 * `include_usage` chunk with empty `choices`, then `data: [DONE]`) or not. It "generates" the
 * last user message word by word.
 *
 *   const server = await startFakeOpenAiServer({ modelId: 'fake/vllm', apiKey: 'secret' });
 *   createOpenAiBackend({ backend: 'openai', endpoint: `${server.endpoint}/v1`, apiKey: 'secret' });
 *   server.setFault({ kind: 'error-event', afterTokens: 1, message: 'boom' }); // see UpstreamFault
 *   server.requests;                                                           // what the client sent
 *   await server.close();
 *
 * Behaviour copied from the real servers: `max_tokens` ends with `length`; a stop sequence is cut
 * out of the text and reported as `finish_reason: "stop"`, plus vLLM's `stop_reason` naming the
 * matched string (turn that off with `reportStopReason: false` to act like llama-server/OpenAI).
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
import { countWords, planEcho } from './echo-script.ts';

export interface FakeOpenAiServerOptions {
  modelId?: string;
  /** Sent as vLLM's `max_model_len` in /v1/models; null leaves it out. */
  contextWindow?: number | null;
  apiKey?: string;
  /** Send vLLM's `stop_reason` with the finish chunk (default true). */
  reportStopReason?: boolean;
  /** false: /v1/models answers 404. */
  serveModels?: boolean;
  chunkBytes?: number;
  /** Instead of echoing, send these chat-completion payloads verbatim (a recorded stream). */
  replay?: string[];
  /**
   * Act as a model that uses tools: when the request offers tools and its last message is not a
   * tool result, call `name` (default: the first tool offered) with `arguments`, ending with
   * `finish_reason: "tool_calls"`; after a tool result, answer "The tool said: <result>".
   */
  toolUse?: { name?: string; arguments: string };
  fault?: UpstreamFault | null;
}

export interface FakeOpenAiServer extends FakeHttpServer {
  /** The server root; the API is under `${endpoint}/v1`. */
  endpoint: string;
  setFault(fault: UpstreamFault | null): void;
}

interface ChatBody {
  model?: string;
  messages?: { role: string; content: string }[];
  tools?: Array<{ function: { name: string } }>;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  max_tokens?: number;
  stop?: string | string[];
}

export async function startFakeOpenAiServer(options: FakeOpenAiServerOptions = {}): Promise<FakeOpenAiServer> {
  let fault = options.fault ?? null;
  const modelId = options.modelId ?? 'fake/openai-echo';
  const server = await startFakeHttpServer(async (request, response) => {
    const unauthorized = openAiErrorBody('Incorrect API key provided', 'authentication_error', 401);
    if (!checkBearer(request, response, options.apiKey, unauthorized)) return;
    const route = `${request.method} ${request.path}`;
    if (route === 'GET /v1/models') {
      if (options.serveModels === false) return sendJson(response, 404, openAiErrorBody('Not Found', 'not_found', 404));
      const contextWindow = options.contextWindow === undefined ? 4096 : options.contextWindow;
      return sendJson(response, 200, {
        object: 'list',
        data: [{ id: modelId, object: 'model', created: 1_700_000_000, owned_by: 'vllm', ...(contextWindow ? { max_model_len: contextWindow } : {}) }],
      });
    }
    if (route === 'POST /v1/chat/completions') {
      if ((await applyFaultBeforeHeaders(fault, response, openAiErrorBody)) === 'handled') return;
      return serveChat(request, response, options, modelId, fault);
    }
    sendJson(response, 404, openAiErrorBody(`no route ${route}`, 'not_found', 404));
  });
  return { ...server, setFault: (next) => (fault = next) };
}

function openAiErrorBody(message: string, errorType: string | undefined, status: number): unknown {
  return { error: { message, type: errorType ?? 'server_error', param: null, code: status } };
}

async function serveChat(
  request: RecordedRequest,
  response: ServerResponse,
  options: FakeOpenAiServerOptions,
  modelId: string,
  fault: UpstreamFault | null,
): Promise<void> {
  const body = (request.body ?? {}) as ChatBody;
  const messages = body.messages ?? [];
  const last = messages.at(-1);
  if (options.toolUse && body.tools?.length && last?.role !== 'tool') {
    return serveToolCall(response, body, options.toolUse, messages.filter((message) => message.role === 'tool').length);
  }
  const lastUser = options.toolUse && last?.role === 'tool' ? `The tool said: ${last.content}` : (messages.findLast((message) => message.role === 'user')?.content ?? '');
  const stop = typeof body.stop === 'string' ? [body.stop] : (body.stop ?? []);
  const script = planEcho(lastUser, { maxTokens: body.max_tokens ?? 16, stop, keepStopSequence: false });
  const usage = {
    prompt_tokens: countWords(messages.map((message) => message.content).join('\n')),
    completion_tokens: script.tokens.length,
    total_tokens: 0,
  };
  usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
  const finishReason = script.finish === 'length' ? 'length' : 'stop';
  const stopReason = options.reportStopReason === false ? {} : { stop_reason: script.stopSequence };
  const base = { id: 'chatcmpl-fake', created: 1_700_000_000, model: body.model ?? modelId, system_fingerprint: null };

  if (!body.stream) {
    return sendJson(response, 200, {
      ...base,
      object: 'chat.completion',
      choices: [{ index: 0, message: { role: 'assistant', content: script.tokens.join('') }, finish_reason: finishReason, ...stopReason }],
      usage,
    });
  }

  const chunk = (choice: object) => JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [choice], usage: null });
  const tokenPayload = (text: string) => chunk({ index: 0, delta: { content: text }, logprobs: null, finish_reason: null });
  const writer = new SseWriter(response, { dataPrefix: 'data: ', chunkBytes: options.chunkBytes, fault, tokenPayload });
  const errorEvent = (message: string, errorType: string | undefined) => JSON.stringify(openAiErrorBody(message, errorType, 500));
  writer.open();
  if (options.replay) {
    for (const payload of options.replay) if (!(await writer.writeToken(payload, errorEvent))) return;
    return writer.end();
  }
  await writer.writeEvent(chunk({ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }));
  for (const token of script.tokens) {
    if (!token) continue;
    const payload = chunk({ index: 0, delta: { content: token }, logprobs: null, finish_reason: null });
    if (!(await writer.writeToken(payload, errorEvent))) return;
  }
  // Faults due after the last token (afterTokens = number of tokens) strike before the finish.
  if (!(await writer.writeToken(chunk({ index: 0, delta: {}, logprobs: null, finish_reason: finishReason, ...stopReason }), errorEvent))) return;
  if (body.stream_options?.include_usage) {
    await writer.writeEvent(JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [], usage }));
  }
  await writer.writeEvent('[DONE]');
  writer.end();
}

/** One streamed tool call in OpenAI's delta shape (name first, then the arguments in two pieces), then `tool_calls`. */
async function serveToolCall(response: ServerResponse, body: ChatBody, toolUse: { name?: string; arguments: string }, earlierResults: number): Promise<void> {
  const name = toolUse.name ?? body.tools?.[0]?.function.name ?? 'missing';
  const base = { id: 'chatcmpl-fake-tool', object: 'chat.completion.chunk', created: 1_700_000_000, model: body.model ?? 'fake', system_fingerprint: null };
  const id = `call_fake_${earlierResults + 1}`;
  const half = Math.floor(toolUse.arguments.length / 2);
  const chunks = [
    { index: 0, delta: { role: 'assistant', content: null, tool_calls: [{ index: 0, id, type: 'function', function: { name, arguments: '' } }] }, finish_reason: null },
    { index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: toolUse.arguments.slice(0, half) } }] }, finish_reason: null },
    { index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: toolUse.arguments.slice(half) } }] }, finish_reason: null },
    { index: 0, delta: {}, finish_reason: 'tool_calls' },
  ];
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  for (const choice of chunks) response.write(`data: ${JSON.stringify({ ...base, choices: [choice], usage: null })}\n\n`);
  if (body.stream_options?.include_usage) {
    response.write(`data: ${JSON.stringify({ ...base, choices: [], usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 } })}\n\n`);
  }
  response.end('data: [DONE]\n\n');
}
