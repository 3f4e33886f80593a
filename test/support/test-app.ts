import { Writable } from 'node:stream';
import type { Backend } from '../../src/backends/backend.ts';
import { createEchoBackend } from '../../src/backends/echo/echo-backend.ts';
import { createMemoryConversationStore } from '../storage/memory-conversation-store.ts';
import { buildApp, type AppDependencies } from '../../src/server/build-app.ts';
import { createServerLogger } from '../../src/server/observability/create-logger.ts';

/** Captures every log line the app writes, to check what reaches the logs. */
export class CapturedLogs {
  readonly lines: string[] = [];
  readonly destination = new Writable({
    write: (chunk: Buffer | string, _encoding, callback) => {
      this.lines.push(String(chunk));
      callback();
    },
  });

  get text(): string {
    return this.lines.join('');
  }

  entries(): Array<Record<string, unknown>> {
    return this.text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }
}

export interface TestAppOptions extends Partial<Omit<AppDependencies, 'models'>> {
  backend?: Backend | Promise<Backend>;
  parallel?: number;
  maxQueue?: number;
  secrets?: string[];
}

/** An app on the echo backend (or the given one) with an in-memory store, its logs captured. */
export function createTestApp(options: TestAppOptions = {}) {
  const logs = new CapturedLogs();
  const store = options.store ?? createMemoryConversationStore();
  const backend = options.backend ?? createEchoBackend({ backend: 'echo' });
  const app = buildApp({
    ...options,
    store,
    models: [{ id: 'echo', backend, parallel: options.parallel ?? 4, maxQueue: options.maxQueue ?? 16 }],
    logger: createServerLogger({ destination: logs.destination, secrets: options.secrets ?? [] }),
    webRoot: options.webRoot ?? '/nonexistent-web-root',
    limits: { reattachGraceMs: 0, ...options.limits },
  });
  return { app, store, logs };
}

/** Parses a server-sent events body into its `data:` payloads (and event names). */
export function parseSse(body: string): Array<{ event: string | null; data: string }> {
  return body
    .split('\n\n')
    .filter((block) => block.trim() && !block.startsWith(':'))
    .map((block) => {
      let event: string | null = null;
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      return { event, data: data.join('\n') };
    });
}
