import { BackendError } from '../backend.ts';
import type { UpstreamExchange } from './upstream-request.ts';

/** The body as JSON; a body that is not JSON (a proxy's HTML page) is a `protocol` error. */
export async function readJsonBody(exchange: UpstreamExchange, serverLabel: string): Promise<unknown> {
  const body = await exchange.text();
  try {
    return JSON.parse(body);
  } catch {
    throw new BackendError('protocol', `${serverLabel} sent a body that is not JSON: ${JSON.stringify(body.slice(0, 120))}`);
  }
}
