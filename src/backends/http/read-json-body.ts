import { BackendError } from '../backend.ts';
import { defaultUpstreamLimits, describeUpstreamLimit, type UpstreamLimits } from './upstream-limits.ts';
import type { UpstreamExchange } from './upstream-request.ts';

/**
 * The body as JSON; a body that is not JSON (a proxy's HTML page) is a `protocol` error, and so
 * is one larger than the event cap (reading stops there instead of buffering all of it).
 */
export async function readJsonBody(exchange: UpstreamExchange, serverLabel: string, limits: UpstreamLimits = defaultUpstreamLimits): Promise<unknown> {
  const pieces: Uint8Array[] = [];
  let received = 0;
  for await (const chunk of exchange.chunks()) {
    received += chunk.byteLength;
    if (received > limits.maxEventBytes) {
      throw new BackendError('protocol', `${serverLabel} sent an answer larger than ${describeUpstreamLimit(limits, 'maxEventBytes')}; anychat stopped reading it`);
    }
    pieces.push(chunk);
  }
  const body = new TextDecoder().decode(Buffer.concat(pieces));
  try {
    return JSON.parse(body);
  } catch {
    throw new BackendError('protocol', `${serverLabel} sent a body that is not JSON: ${JSON.stringify(body.slice(0, 120))}`);
  }
}
