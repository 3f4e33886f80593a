import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import type { Backend } from '../backends/backend.ts';
import { createBackend } from '../backends/create-backend.ts';
import { buildApp } from '../server/build-app.ts';
import type { DownloadProgress } from '../server/models/served-model.ts';
import { createServerLogger } from '../server/observability/create-logger.ts';
import { chooseStorage, describeStorage, openConversationStore } from '../storage/open-conversation-store.ts';
import { addBackendOptions, backendSettingsFromOptions, type BackendOptionValues } from './backend-options.ts';
import { runAction } from './run-action.ts';
import { UsageError } from './usage-error.ts';

interface ServeOptions extends BackendOptionValues {
  host: string;
  port: number;
  apiKey?: string;
  maxQueue: number;
  timeout: number;
  shutdownTimeout: number;
  corsOrigin?: string;
  insecureNoAuth?: boolean;
  dataDir?: string;
  logLevel: string;
}

/** What closing the server, storage and engine may add to --shutdown-timeout before the process gives up on them. */
const SHUTDOWN_CLOSE_MARGIN_MS = 3_000;

/** Gradio's port, which the lesson's readers know. */
const DEFAULT_PORT = 7860;

const wholeNumber = (flag: string, minimum: number) => (value: string) => {
  const number = Number(value);
  if (!Number.isInteger(number) || number < minimum) throw new UsageError(`${flag} must be a whole number ≥ ${minimum}, got "${value}"`);
  return number;
};
const positiveSeconds = (flag: string) => (value: string) => {
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) throw new UsageError(`${flag} must be a number of seconds > 0, got "${value}"`);
  return number;
};

export function registerServeCommand(program: Command): void {
  const command = program
    .command('serve')
    .description('serve the chat page and TGI- and OpenAI-compatible APIs over HTTP')
    .addOption(new Option('--host <host>', 'interface to listen on; other than loopback needs --api-key').default('127.0.0.1').env('ANYCHAT_HOST'))
    .addOption(new Option('--port <port>', 'port to listen on').argParser(wholeNumber('--port', 0)).default(DEFAULT_PORT).env('PORT'))
    .addOption(new Option('--api-key <key>', 'key clients must send (Bearer) and the page asks for').env('ANYCHAT_API_KEY'))
    .addOption(new Option('--max-queue <n>', 'requests that may wait for the model before others get 429').argParser(wholeNumber('--max-queue', 0)).default(64).env('ANYCHAT_MAX_QUEUE'))
    .addOption(new Option('--timeout <seconds>', 'longest one request may take, queue included').argParser(positiveSeconds('--timeout')).default(600).env('ANYCHAT_TIMEOUT'))
    .addOption(new Option('--shutdown-timeout <seconds>', 'on SIGINT/SIGTERM, how long running answers may finish').argParser(positiveSeconds('--shutdown-timeout')).default(10))
    .addOption(new Option('--cors-origin <origins>', 'comma-separated origins allowed to call the API from browsers (CORS is off without it)').env('ANYCHAT_CORS_ORIGIN'))
    .addOption(new Option('--insecure-no-auth', 'allow a non-loopback --host without --api-key'))
    .addOption(new Option('--data-dir <dir>', 'where conversations are kept (PGlite), or memory:// ; DATABASE_URL selects PostgreSQL instead').env('ANYCHAT_DATA_DIR'))
    .addOption(new Option('--log-level <level>', 'pino log level').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info').env('ANYCHAT_LOG_LEVEL'));
  addBackendOptions(command, { upstreamKeyFlag: '--upstream-api-key' });
  command.action(runAction(async (options: ServeOptions) => serve(options)));
}

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
}

/** Default sequences at once: the embedded engine's own default, or a generous share of a remote server. */
function defaultParallel(backend: string): number {
  return backend === 'llamacpp' ? 1 : 64;
}

async function serve(options: ServeOptions): Promise<void> {
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
  const logger = createServerLogger({
    level: options.logLevel,
    secrets: [options.apiKey, settings.apiKey].filter((secret): secret is string => Boolean(secret)),
  });
  const storage = chooseStorage({ dataDir: options.dataDir });
  const store = await openConversationStore({ dataDir: options.dataDir });

  // The model loads (or downloads) in the background: /health and the page answer meanwhile.
  const backendPromise: Promise<Backend> = createBackend(settings);
  backendPromise.then(
    () => logger.info({ backend: settings.backend }, 'model ready'),
    (error: unknown) => logger.error({ err: error }, 'model failed to load'),
  );
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
    secrets: settings.apiKey ? [settings.apiKey] : [],
    corsOrigin: options.corsOrigin ? options.corsOrigin.split(',').map((origin) => origin.trim()) : null,
    logger,
    limits: { requestTimeoutMs: options.timeout * 1000, shutdownGraceMs: options.shutdownTimeout * 1000 },
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
