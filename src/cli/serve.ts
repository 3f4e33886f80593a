import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Backend } from '../backends/backend.ts';
import { createBackend } from '../backends/create-backend.ts';
import { endpointPassword } from '../backends/http/endpoint-url.ts';
import type { DownloadProgress } from '../server/models/served-model.ts';
import { createServerLogger } from '../server/observability/create-logger.ts';
import { chooseStorage, describeStorage, openConversationStore } from '../storage/open-conversation-store.ts';
import { backendSettingsFromOptions } from './backend-options.ts';
import type { ServeOptions } from './serve-command.ts';
import { UsageError } from './usage-error.ts';

/** What closing the server, storage and engine may add to --shutdown-timeout before the process gives up on them. */
const SHUTDOWN_CLOSE_MARGIN_MS = 3_000;

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
}

/** Default sequences at once: the embedded engine's own default, or a generous share of a remote server. */
function defaultParallel(backend: string): number {
  return backend === 'llamacpp' ? 1 : 64;
}

export async function serve(options: ServeOptions): Promise<void> {
  if (!isLoopbackHost(options.host) && !options.apiKey && !options.insecureNoAuth) {
    throw new UsageError(
      `refusing to listen on ${options.host} without --api-key: anyone who can reach it could use the model. ` +
        'Set --api-key (or ANYCHAT_API_KEY), or pass --insecure-no-auth if the network is trusted.',
    );
  }
  let download: DownloadProgress | null = null;
  // Here --api-key is this server's own key, for its clients: it must never reach the endpoint,
  // whose key is --upstream-api-key (backendSettingsFromOptions reads apiKey first, as ask and chat mean it).
  const { apiKey: _ownClientsKey, ...backendOptions } = options;
  const settings = { ...backendSettingsFromOptions(backendOptions), onDownloadProgress: (progress: DownloadProgress) => (download = progress) };
  // The endpoint's own password (http://user:pass@…) is a key too.
  const upstreamSecrets = [settings.apiKey, endpointPassword(settings.endpoint)].filter((secret): secret is string => Boolean(secret));
  const logger = createServerLogger({
    level: options.logLevel,
    secrets: [...(options.apiKey ? [options.apiKey] : []), ...upstreamSecrets],
  });
  const storage = chooseStorage({ dataDir: options.dataDir });
  // The database opens while the model loads (or downloads) and while the server's modules load:
  // PGlite compiles its WebAssembly on other threads, so none of the three waits for another.
  const storeOpening = openConversationStore({ dataDir: options.dataDir });
  // Marked handled: a failure to open surfaces at the await below, not as an unhandled rejection
  // while the server's modules are still loading.
  storeOpening.catch(() => {});
  // /health and the page answer while the model loads; generation waits for it.
  const backendPromise: Promise<Backend> = createBackend(settings);
  backendPromise.then(
    () => logger.info({ backend: settings.backend }, 'model ready'),
    (error: unknown) => logger.error({ err: error }, 'model failed to load'),
  );
  const { buildApp } = await import('../server/build-app.ts');
  const store = await storeOpening;

  const app = buildApp({
    models: [
      {
        id: settings.model ?? settings.backend,
        backend: backendPromise,
        parallel: settings.parallel ?? defaultParallel(settings.backend),
        maxQueue: options.maxQueue,
        downloadProgress: () => download,
      },
    ],
    store,
    apiKey: options.apiKey ?? null,
    secrets: upstreamSecrets,
    corsOrigin: options.corsOrigin ? options.corsOrigin.split(',').map((origin) => origin.trim()) : null,
    listenHost: options.host,
    ...(options.trustProxy === undefined ? {} : { trustProxy: options.trustProxy }),
    allowedHosts: options.allowedHosts ? options.allowedHosts.split(',').map((name) => name.trim()).filter(Boolean) : [],
    logger,
    limits: {
      requestTimeoutMs: options.timeout * 1000,
      shutdownGraceMs: options.shutdownTimeout * 1000,
      receiveTimeoutMs: options.receiveTimeout * 1000,
      headersTimeoutMs: options.headersTimeout * 1000,
    },
    version: packageVersion(),
  });

  await app.listen({ host: options.host, port: options.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const shownHost = options.host.includes(':') ? `[${options.host}]` : options.host;
  logger.info({ storage: describeStorage(storage), auth: Boolean(options.apiKey) }, `anychat listening on http://${shownHost}:${port}`);
  process.stderr.write(`anychat: listening on http://${shownHost}:${port} (conversations: ${describeStorage(storage)})\n`);

  await new Promise<void>((resolve) => {
    let stopping = false;
    const shutdown = (signal: NodeJS.Signals) => {
      if (stopping) {
        // A second Ctrl+C means "now".
        process.exit(130);
      }
      stopping = true;
      logger.info({ signal }, 'shutting down: finishing running answers');
      // The last resort, should a close below hang (an unreachable database): the timeout is a promise.
      const overrun = setTimeout(() => {
        logger.warn({ timeoutSeconds: options.shutdownTimeout }, 'shutdown overran --shutdown-timeout; exiting without waiting further');
        process.exit(1);
      }, options.shutdownTimeout * 1000 + SHUTDOWN_CLOSE_MARGIN_MS);
      overrun.unref();
      void (async () => {
        const step = async (what: string, close: () => Promise<unknown>) => {
          try {
            await close();
          } catch (error) {
            logger.warn({ err: error }, `${what} did not close cleanly`);
          }
        };
        // Drained before close(): see src/server/graceful-shutdown.ts for why not inside it.
        await step('running answers', () => app.drainGenerations());
        await step('the HTTP server', () => app.close());
        await step('storage', () => store.close());
        await step('the model', async () => (await backendPromise.catch(() => null))?.close());
        clearTimeout(overrun);
        logger.info('stopped');
        resolve();
      })();
    };
    process.on('SIGINT', shutdown);
    process.on('SIGTERM', shutdown);
  });
}

function packageVersion(): string {
  try {
    const packageJson = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as { version?: string };
    return packageJson.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}
