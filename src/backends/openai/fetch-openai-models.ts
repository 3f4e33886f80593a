import { endpointUrl } from '../http/endpoint-url.ts';
import { sendUpstreamRequest } from '../http/upstream-request.ts';
import { openAiModelListSchema } from './openai-chat-api.ts';

/** A model the upstream OpenAI-compatible server lists (not one this server serves: see server/models/served-model.ts). */
export interface UpstreamModel {
  id: string;
  /** vLLM's `max_model_len`, else llama-server's `meta.n_ctx_train`; null when neither is sent. */
  contextWindow: number | null;
}

/** The first model of `GET /v1/models`; null when the server does not list any or is unreachable. */
export async function fetchFirstUpstreamModel(connection: {
  baseUrl: string;
  apiKey?: string | undefined;
  timeoutMs: number;
  serverLabel: string;
}): Promise<UpstreamModel | null> {
  try {
    const exchange = await sendUpstreamRequest({
      url: endpointUrl(connection.baseUrl, 'models'),
      apiKey: connection.apiKey,
      timeoutMs: Math.min(connection.timeoutMs, 10_000),
      serverLabel: connection.serverLabel,
    });
    const body = await exchange.text();
    if (!exchange.response.ok) return null;
    const list = openAiModelListSchema.safeParse(JSON.parse(body));
    const first = list.success ? list.data.data[0] : undefined;
    if (!first) return null;
    return { id: first.id, contextWindow: first.max_model_len ?? first.meta?.n_ctx_train ?? null };
  } catch {
    return null;
  }
}
