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
import { CommandFailure } from './command-failure.ts';
import { runAction } from './run-action.ts';
import { UsageError } from './usage-error.ts';

interface ServeOptions extends BackendOptionValues {
  host: string;
  port: number;
  authKey?: string;
  maxQueue: number;
  timeout: number;
  shutdownTimeout: number;
  corsOrigin?: string;
  insecureNoAuth?: boolean;
  dataDir?: string;
  logLevel: string;
}

/** Gradio's port, which the lesson's readers know. */
const DEFAULT_PORT = 7860;

const wholeNumber = (flag: string, minimum: number) => (value: string) => {
  const number = Number(value);
  if (!Number.isInteger(number) || number < minimum) throw new UsageError(`${flag} must be a whole number ≥ ${minimum}, got "${value}"`);
  return number;
};
/** Checked with the other flags, so a bad port fails at once, before a model loads for nothing. */
const portNumber = (value: string) => {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0 || number > 65535) throw new UsageError(`--port must be a whole number from 0 to 65535, got "${value}"`);
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
    .addOption(new Option('--host <host>', 'interface to listen on; other than loopback needs --auth-key').default('127.0.0.1').env('ANYCHAT_HOST'))
    .addOption(new Option('--port <port>', 'port to listen on').argParser(portNumber).default(DEFAULT_PORT).env('PORT'))
    .addOption(new Option('--auth-key <key>', 'key this server asks of its clients (Bearer) and on its page login').env('ANYCHAT_AUTH_KEY'))
    .addOption(new Option('--max-queue <n>', 'requests that may wait for the model before others get 429').argParser(wholeNumber('--max-queue', 0)).default(64).env('ANYCHAT_MAX_QUEUE'))
    .addOption(new Option('--timeout <seconds>', 'longest one request may take, queue included').argParser(positiveSeconds('--timeout')).default(600).env('ANYCHAT_TIMEOUT'))
    .addOption(new Option('--shutdown-timeout <seconds>', 'on SIGINT/SIGTERM, how long running answers may finish').argParser(positiveSeconds('--shutdown-timeout')).default(10))
    .addOption(new Option('--cors-origin <origins>', 'comma-separated origins allowed to call the API from browsers (CORS is off without it)').env('ANYCHAT_CORS_ORIGIN'))
    .addOption(new Option('--insecure-no-auth', 'allow a non-loopback --host without --auth-key'))
    .addOption(new Option('--data-dir <dir>', 'where conversations are kept (PGlite), or memory:// ; DATABASE_URL selects PostgreSQL instead').env('ANYCHAT_DATA_DIR'))
    .addOption(new Option('--log-level <level>', 'pino log level').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info').env('ANYCHAT_LOG_LEVEL'));
  addBackendOptions(command, { upstreamKeyAlias: true });
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
  if (!isLoopbackHost(options.host) && !options.authKey && !options.insecureNoAuth) {
    throw new UsageError(
      `refusing to listen on ${options.host} without --auth-key: anyone who can reach it could use the model. ` +
        'Set --auth-key (or ANYCHAT_AUTH_KEY), or pass --insecure-no-auth if the network is trusted.',
    );
  }
  let download: DownloadProgress | null = null;
  // --auth-key is this server's own key, for its clients: it must never reach the endpoint, so
  // only the backend flags go to backendSettingsFromOptions.
  const { authKey: _ownClientsKey, ...backendOptions } = options;
  const settings = { ...backendSettingsFromOptions(backendOptions), onDownloadProgress: (progress: DownloadProgress) => (download = progress) };
  const logger = createServerLogger({
    level: options.logLevel,
    secrets: [options.authKey, settings.apiKey].filter((secret): secret is string => Boolean(secret)),
  });
  const storage = chooseStorage({ dataDir: options.dataDir });
  const store = await openConversationStore({ dataDir: options.dataDir });

  // The model loads (or downloads) in the background: /health and the page answer meanwhile.
  const backendPromise: Promise<Backend> = createBackend(settings);
  backendPromise.then(
    () => logger.info({ backend: settings.backend }, 'model ready'),
    (error: unknown) => {
      logger.error({ err: error }, 'model failed to load');
      // The log line above is JSON for machines; a person at the terminal gets what failed and the
      // commands that fix it. The server stays up: the page says the same, and keeps what is sent.
      const reason = error instanceof Error ? error.message : String(error);
      process.stderr.write(
        `anychat: the model failed to load: ${reason}\n` +
          'anychat: to fix it, restart with a model file (anychat serve --model PATH.gguf) or a server (anychat serve --endpoint URL)\n',
      );
    },
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
    apiKey: options.authKey ?? null,
    secrets: settings.apiKey ? [settings.apiKey] : [],
    corsOrigin: options.corsOrigin ? options.corsOrigin.split(',').map((origin) => origin.trim()) : null,
    logger,
    limits: { requestTimeoutMs: options.timeout * 1000, shutdownGraceMs: options.shutdownTimeout * 1000 },
    version: packageVersion(),
  });

  await listen(app, options);
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const shownHost = options.host.includes(':') ? `[${options.host}]` : options.host;
  logger.info({ storage: describeStorage(storage), auth: Boolean(options.authKey) }, `anychat listening on http://${shownHost}:${port}`);
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
      void (async () => {
        try {
          await app.close();
          await store.close();
          await (await backendPromise.catch(() => null))?.close();
        } catch (error) {
          logger.error({ err: error }, 'error while shutting down');
        }
        logger.info('stopped');
        resolve();
      })();
    };
    process.on('SIGINT', shutdown);
    process.on('SIGTERM', shutdown);
  });
}

async function listen(app: ReturnType<typeof buildApp>, options: ServeOptions): Promise<void> {
  try {
    await app.listen({ host: options.host, port: options.port });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    // 7860 is Gradio's port too, so a lesson's notebook left running is the usual culprit.
    const gradio = options.port === DEFAULT_PORT ? ` (${DEFAULT_PORT} is also Gradio's port)` : '';
    throw new CommandFailure(
      `port ${options.port} on ${options.host} is already taken${gradio}; stop what uses it, or pick another with --port, e.g. --port ${options.port === 65535 ? 8080 : options.port + 1}`,
    );
  }
}

function packageVersion(): string {
  try {
    const packageJson = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as { version?: string };
    return packageJson.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}
