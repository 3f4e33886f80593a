import { estimateTokenCount } from '../backend.ts';
import { endpointUrl } from '../http/endpoint-url.ts';
import { sendUpstreamRequest } from '../http/upstream-request.ts';
import { tgiTokenizeResponseSchema } from './tgi-api.ts';

export interface TgiConnection {
  endpoint: string;
  apiKey?: string | undefined;
  timeoutMs: number;
  serverLabel: string;
}

/**
 * Counts tokens with TGI's `POST /tokenize` (the model's real tokenizer). TGI answers 404 when the
 * model has no fast tokenizer, and older TGI versions lack the route: then, and for this server
 * from then on, we fall back to `estimateTokenCount`. Other failures (a blip) fall back once.
 */
export class TgiTokenCounter {
  private tokenizeSupported: boolean | null = null;

  constructor(private readonly connection: TgiConnection) {}

  /** Whether counts come from the real tokenizer; asks the server once. */
  async isExact(): Promise<boolean> {
    if (this.tokenizeSupported === null) await this.countTokens('a');
    return this.tokenizeSupported === true;
  }

  async countTokens(text: string): Promise<number> {
    if (this.tokenizeSupported === false) return estimateTokenCount(text);
    const exact = await this.tokenize(text);
    return exact ?? estimateTokenCount(text);
  }

  private async tokenize(text: string): Promise<number | null> {
    try {
      const exchange = await sendUpstreamRequest({
        url: endpointUrl(this.connection.endpoint, 'tokenize'),
        json: { inputs: text },
        apiKey: this.connection.apiKey,
        timeoutMs: Math.min(this.connection.timeoutMs, 10_000),
        serverLabel: this.connection.serverLabel,
      });
      const body = await exchange.text();
      if ([404, 405, 501].includes(exchange.response.status)) {
        this.tokenizeSupported = false;
        return null;
      }
      if (!exchange.response.ok) return null;
      const tokens = tgiTokenizeResponseSchema.safeParse(JSON.parse(body));
      if (!tokens.success) {
        this.tokenizeSupported = false;
        return null;
      }
      this.tokenizeSupported = true;
      return tokens.data.length;
    } catch {
      return null;
    }
  }
}
