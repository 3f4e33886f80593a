import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Backend, GenerationRequest } from '../../../src/backends/backend.ts';
import type { ConversationStore } from '../../../src/storage/conversation-store.ts';
import { createEchoBackend } from '../../../src/backends/echo/echo-backend.ts';
import { buildApp } from '../../../src/server/build-app.ts';
import type { DownloadProgress, ModelSource } from '../../../src/server/models/served-model.ts';
import type { ServerLimits } from '../../../src/server/server-context.ts';
import type { ServerTools } from '../../../src/server/tools/server-tools.ts';
import { createMemoryConversationStore } from '../../storage/memory-conversation-store.ts';
import { ensureWebBuild } from '../../../scripts/ensure-web-build.ts';

const webDist = fileURLToPath(new URL('../../../web/dist', import.meta.url));

/** Wraps a backend to keep every request it receives: tests assert on what reached the model. */
export function recordRequests(inner: Backend): { backend: Backend; requests: GenerationRequest[] } {
  const requests: GenerationRequest[] = [];
  const backend: Backend = {
    name: inner.name,
    info: () => inner.info(),
    countTokens: (text) => inner.countTokens(text),
    generate(request, signal) {
      requests.push(structuredClone(request));
      return inner.generate(request, signal);
    },
    close: () => inner.close(),
  };
  return { backend, requests };
}

export interface TestServer {
  url: string;
  requests: GenerationRequest[];
  store: ConversationStore;
  close(): Promise<void>;
  /** As if the server process died: stops listening and drops every connection, streams included. */
  kill(): void;
}

/**
 * The real app (buildApp) on 127.0.0.1 with a random port, serving the built page, with the echo
 * backend (or the given one) and an in-memory store. The page is built first if it is stale.
 */
export interface TestServerOptions {
  backend?: Backend;
  /**
   * A backend still loading (resolve it later) or failing to load (reject it), as `anychat serve`
   * hands one over while a model downloads; its requests are not recorded.
   */
  loadingBackend?: Promise<Backend>;
  downloadProgress?: () => DownloadProgress | null;
  echoDelayMs?: number;
  echoContextWindow?: number;
  apiKey?: string;
  /** `--auth accounts` over this store (a PGlite one): the in-memory store keeps no accounts. */
  accounts?: { store: ConversationStore };
  modelId?: string;
  parallel?: number;
  maxQueue?: number;
  /** Server limits to override, e.g. a short `requestTimeoutMs` for faults that never end. */
  limits?: Partial<ServerLimits>;
  /** Several models instead of the one above (whose requests are then not recorded); the first is the default. */
  models?: ModelSource[];
  /** MCP tools the app API's answers may call. */
  tools?: ServerTools | null;
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  await ensureWebBuild({ quiet: true });
  const { backend, requests } = recordRequests(
    options.backend ??
      createEchoBackend({ backend: 'echo', delayMs: options.echoDelayMs ?? 15, contextWindow: options.echoContextWindow ?? 4096 }),
  );
  const store = options.accounts?.store ?? createMemoryConversationStore();
  const app = buildApp({
    models: options.models ?? [
      {
        id: options.modelId ?? 'echo',
        backend: options.loadingBackend ?? backend,
        parallel: options.parallel ?? 4,
        maxQueue: options.maxQueue ?? 16,
        ...(options.downloadProgress ? { downloadProgress: options.downloadProgress } : {}),
      },
    ],
    store,
    webRoot: webDist,
    apiKey: options.apiKey ?? null,
    ...(options.accounts ? { authMode: 'accounts' as const } : {}),
    tools: options.tools ?? null,
    // Long enough for a reload to re-attach before the server gives up on the answer.
    limits: { reattachGraceMs: 15_000, ...options.limits },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  let killed = false;
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    store,
    // After kill() the listener is gone already; close() then only releases what the app holds.
    close: () => (killed ? app.close().catch(() => {}) : app.close()),
    kill: () => {
      killed = true;
      app.server.close();
      app.server.closeAllConnections();
    },
  };
}

export const repositoryPath = (...parts: string[]) => join(fileURLToPath(new URL('../../..', import.meta.url)), ...parts);
