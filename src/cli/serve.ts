import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import type { Backend } from '../backends/backend.ts';
import { createBackend } from '../backends/create-backend.ts';
import { endpointPassword } from '../backends/http/endpoint-url.ts';
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
  receiveTimeout: number;
  headersTimeout: number;
  corsOrigin?: string;
  allowedHosts?: string;
  trustProxy?: boolean | string[];
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
    .addOption(new Option('--receive-timeout <seconds>', 'longest a client may take to send a whole request (headers and body); not applied to answers').argParser(positiveSeconds('--receive-timeout')).default(120).env('ANYCHAT_RECEIVE_TIMEOUT'))
    .addOption(new Option('--headers-timeout <seconds>', 'longest a client may take to send the request headers').argParser(positiveSeconds('--headers-timeout')).default(30).env('ANYCHAT_HEADERS_TIMEOUT'))
    .addOption(new Option('--cors-origin <origins>', 'comma-separated origins allowed to call the API from browsers (CORS is off without it)').env('ANYCHAT_CORS_ORIGIN'))
    .addOption(new Option('--allowed-hosts <names>', 'comma-separated names the server is reached by, beyond loopback and --host (a guard against DNS rebinding); * accepts any').env('ANYCHAT_ALLOWED_HOSTS'))
    .addOption(new Option('--trust-proxy <proxies>', 'behind a reverse proxy: trust its X-Forwarded-For/-Proto (true, or comma-separated proxy addresses/CIDRs, e.g. loopback)').argParser(parseTrustProxy).env('ANYCHAT_TRUST_PROXY'))
    .addOption(new Option('--insecure-no-auth', 'allow a non-loopback --host without --api-key'))
    .addOption(new Option('--data-dir <dir>', 'where conversations are kept (PGlite), or memory:// ; DATABASE_URL selects PostgreSQL instead').env('ANYCHAT_DATA_DIR'))
    .addOption(new Option('--log-level <level>', 'pino log level').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info').env('ANYCHAT_LOG_LEVEL'));
  addBackendOptions(command, { upstreamKeyFlag: '--upstream-api-key' });
  command.action(runAction(async (options: ServeOptions) => serve(options)));
}

/** `true`/`false`, or the addresses of the proxies to trust (proxy-addr's syntax: IPs, CIDRs, `loopback`). */
function parseTrustProxy(value: string): boolean | string[] {
  if (value === 'true') return true;
  if (value === 'false') return false;
  const proxies = value.split(',').map((proxy) => proxy.trim()).filter(Boolean);
  if (proxies.length === 0) throw new UsageError(`--trust-proxy must be true, false or proxy addresses such as 127.0.0.1,10.0.0.0/8, got "${value}"`);
  return proxies;
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
  // The endpoint's own password (http://user:pass@…) is a key too.
  const upstreamSecrets = [settings.apiKey, endpointPassword(settings.endpoint)].filter((secret): secret is string => Boolean(secret));
  const logger = createServerLogger({
    level: options.logLevel,
    secrets: [...(options.apiKey ? [options.apiKey] : []), ...upstreamSecrets],
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

function packageVersion(): string {
  try {
    const packageJson = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as { version?: string };
    return packageJson.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}
