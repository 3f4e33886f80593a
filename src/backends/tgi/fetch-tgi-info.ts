import type { BackendInfo } from '../backend.ts';
import { endpointHost, endpointUrl } from '../http/endpoint-url.ts';
import { sendUpstreamRequest } from '../http/upstream-request.ts';
import { tgiInfoSchema } from './tgi-api.ts';
import type { TgiConnection } from './tgi-token-counter.ts';

/** What `GET /info` tells us; null when the server could not say (down, or not really TGI). */
export async function fetchTgiInfo(connection: TgiConnection): Promise<Pick<BackendInfo, 'modelId' | 'contextWindow'> | null> {
  try {
    const exchange = await sendUpstreamRequest({
      url: endpointUrl(connection.endpoint, 'info'),
      apiKey: connection.apiKey,
      // Metadata must not hold a chat hostage for the full generation timeout.
      timeoutMs: Math.min(connection.timeoutMs, 10_000),
      serverLabel: connection.serverLabel,
    });
    const body = await exchange.text();
    if (!exchange.response.ok) return null;
    const info = tgiInfoSchema.safeParse(JSON.parse(body));
    if (!info.success) return null;
    return { modelId: info.data.model_id, contextWindow: info.data.max_total_tokens ?? null };
  } catch {
    return null;
  }
}

/** When /info fails we still describe the backend: named after its host, window unknown. */
export function fallbackTgiInfo(endpoint: string): Pick<BackendInfo, 'modelId' | 'contextWindow'> {
  return { modelId: endpointHost(endpoint), contextWindow: null };
}
