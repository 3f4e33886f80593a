/**
 * One fake upstream of either remote kind behind one shape, so each fault suite runs the same
 * cases against TGI and an OpenAI-compatible server.
 */
import { startFakeOpenAiServer, type FakeOpenAiServer } from '../../fakes/fake-openai-server.ts';
import { startFakeTgiServer, type FakeTgiServer } from '../../fakes/fake-tgi-server.ts';
import { pollUntil } from '../../support/wait-for.ts';

export type RemoteBackendName = 'tgi' | 'openai';
export const remoteBackendNames: readonly RemoteBackendName[] = ['tgi', 'openai'];

export interface FakeUpstream {
  backend: RemoteBackendName;
  server: FakeTgiServer | FakeOpenAiServer;
  /** What anychat is configured with: TGI's root, or the OpenAI-compatible `/v1` base. */
  endpoint: string;
}

export async function startFakeUpstream(backend: RemoteBackendName): Promise<FakeUpstream> {
  if (backend === 'tgi') {
    const server = await startFakeTgiServer({ modelId: 'fake/tgi-echo' });
    return { backend, server, endpoint: server.endpoint };
  }
  const server = await startFakeOpenAiServer({ modelId: 'fake/openai-echo' });
  return { backend, server, endpoint: `${server.endpoint}/v1` };
}

/**
 * Waits until the fake has no request in flight (the client closed or finished every exchange)
 * and returns how many are still open after `timeoutMs`: a socket the client forgot is a leak.
 */
export async function busyConnectionsAfter(upstream: FakeUpstream, timeoutMs: number): Promise<number> {
  await pollUntil(() => upstream.server.connections().busy === 0, timeoutMs);
  return upstream.server.connections().busy;
}
