import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { AuthMode } from '../server/auth/auth-strategy.ts';
import { resolveOidcSettings } from './oidc-options.ts';
import type { ConversationStore } from '../storage/conversation-store.ts';
import { endpointPassword } from '../backends/http/endpoint-url.ts';
import type { DownloadProgress } from '../server/models/served-model.ts';
import { createServerLogger } from '../server/observability/create-logger.ts';
import { chooseStorage, describeStorage, openConversationStore } from '../storage/open-conversation-store.ts';
import { storeOnceOpen } from '../storage/store-once-open.ts';
import { packageVersion } from '../package-root.ts';
import { configuredModels } from './configured-models.ts';
import { modelSources } from './model-sources.ts';
import { CommandFailure } from './command-failure.ts';
import { DEFAULT_PORT, type ServeOptions } from './serve-command.ts';
import { UsageError } from './usage-error.ts';
import { openMcpToolbox } from './open-mcp-toolbox.ts';
import { adminsOnly, createServerTools } from '../server/tools/server-tools.ts';

/** What closing the server, storage and engine may add to --shutdown-timeout before the process gives up on them. */
const SHUTDOWN_CLOSE_MARGIN_MS = 3_000;

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
}

/** `--auth`, checked against the other flags before anything loads. */
export function resolveAuthMode(options: Pick<ServeOptions, 'auth' | 'authKey' | 'adminReadsConversations'>): AuthMode {
  const mode = options.auth ?? (options.authKey ? 'key' : 'none');
  if (mode === 'key' && !options.authKey) throw new UsageError('--auth key needs the key: pass --auth-key KEY (or set ANYCHAT_AUTH_KEY)');
  if (mode !== 'key' && options.authKey) {
    throw new UsageError(`--auth-key is the key of --auth key, but --auth is ${mode}; drop --auth-key, or use --auth key`);
  }
  if (mode !== 'accounts' && options.adminReadsConversations) throw new UsageError('--admin-reads-conversations needs --auth accounts');
  return mode;
}

export async function serve(options: ServeOptions): Promise<void> {
  const authMode = resolveAuthMode(options);
  const oidc = resolveOidcSettings(options, authMode);
  if (!isLoopbackHost(options.host) && authMode === 'none' && !options.insecureNoAuth) {
    throw new UsageError(
      `refusing to listen on ${options.host} without --auth-key: anyone who can reach it could use the model. ` +
        'Set --auth-key (or ANYCHAT_AUTH_KEY), use --auth accounts (anychat users add), or pass --insecure-no-auth if the network is trusted.',
    );
  }
  if (options.mcpAdminOnly && authMode !== 'accounts') {
    throw new UsageError('--mcp-admin-only needs --auth accounts (without accounts there are no admins to limit tools to); add --auth accounts, or leave --mcp-admin-only out');
  }
  let download: DownloadProgress | null = null;
  // --auth-key is this server's own key, for its clients: it must never reach the endpoint, so
  // only the backend flags go to configuredModels.
  const { authKey: _ownClientsKey, maxLoadedModels, modelIdleTtl, ...backendOptions } = options;
  const configured = configuredModels(backendOptions);
  // Each endpoint's own password (http://user:pass@…) is a key too.
  const upstreamSecrets = configured.models
    .flatMap(({ settings }) => [settings.apiKey, endpointPassword(settings.endpoint)])
    .filter((secret): secret is string => Boolean(secret));
  const logger = createServerLogger({
    level: options.logLevel,
    secrets: [...(options.authKey ? [options.authKey] : []), ...upstreamSecrets, ...(oidc ? [oidc.clientSecret] : [])],
  });
  const storage = chooseStorage({ dataDir: options.dataDir });
  // The database opens while the model loads (or downloads) and while the server's modules load:
  // PGlite compiles its WebAssembly on other threads, so none of the three waits for another.
  const storeOpening = openConversationStore({ dataDir: options.dataDir });
  // Marked handled: a failure to open surfaces at the await below, not as an unhandled rejection
  // while the server's modules are still loading.
  storeOpening.catch(() => {});
  const single = configured.models.length === 1 && !configured.models[0]!.onDemand;
  const sources = modelSources(configured, {
    maxQueue: options.maxQueue,
    onDownloadProgress: (progress) => (download = progress),
    downloadProgress: () => download,
    onLoading: (id) => logger.info({ model: id }, 'loading model'),
    onReady: (id, backend) => logger.info({ backend, model: id }, 'model ready'),
    onFailed: (id, error, loadedAtStart) => {
      logger.error({ err: error, model: id }, 'model failed to load');
      if (!loadedAtStart) return;
      // The log line above is JSON for machines; a person at the terminal gets what failed and the
      // commands that fix it. The server stays up: the page says the same, and keeps what is sent.
      const reason = error instanceof Error ? error.message : String(error);
      process.stderr.write(
        single
          ? `anychat: the model failed to load: ${reason}\n` +
              'anychat: to fix it, restart with a model file (anychat serve --model PATH.gguf) or a server (anychat serve --endpoint URL)\n'
          : `anychat: the model ${id} failed to load: ${reason}\n`,
      );
    },
  });
  const { buildApp } = await import('../server/build-app.ts');
  const toolbox = await openMcpToolbox(options, (line) => process.stderr.write(`anychat: ${line}\n`), packageVersion());
  // The server listens while the database opens (most of a second for PGlite): /health and the TGI
  // and OpenAI routes read no conversations, and the app API's calls wait for the open. Under
  // accounts every request reads the database, and conversations from before accounts go to the
  // first admin before anyone signs in: there, the open comes first.
  const store = authMode === 'accounts' ? await storeOpening : storeOnceOpen(storeOpening);
  if (authMode === 'accounts') await prepareAccounts(store, logger);

  const app = buildApp({
    models: sources,
    defaultModelId: configured.defaultModelId,
    modelResidency: { maxLoadedModels: maxLoadedModels ?? null, idleTtlMs: modelIdleTtl === undefined ? null : modelIdleTtl * 1000 },
    store,
    apiKey: options.authKey ?? null,
    authMode,
    adminReadsConversations: options.adminReadsConversations ?? false,
    oidc,
    secrets: [...upstreamSecrets, ...(oidc ? [oidc.clientSecret] : [])],
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
    tools: toolbox ? createServerTools(toolbox, { maxSteps: options.mcpMaxSteps, ...(options.mcpAdminOnly ? { mayUseTools: adminsOnly } : {}) }) : null,
  });

  await listen(app, options);
  try {
    await storeOpening;
  } catch (error) {
    await app.close();
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const shownHost = options.host.includes(':') ? `[${options.host}]` : options.host;
  logger.info({ storage: describeStorage(storage), auth: authMode }, `anychat listening on http://${shownHost}:${port}`);
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
        await step('the MCP servers', async () => toolbox?.close());
        await step('the models', () => app.models.closeAll());
        clearTimeout(overrun);
        logger.info('stopped');
        resolve();
      })();
    };
    process.on('SIGINT', shutdown);
    process.on('SIGTERM', shutdown);
  });
}

/**
 * Before serving accounts: conversations made under --auth none or key (no owner) go to the first
 * admin, the upgrade path README describes; with no account yet, say how to make one.
 */
async function prepareAccounts(store: ConversationStore, logger: FastifyBaseLogger): Promise<void> {
  const accounts = store.accounts;
  if (!accounts) throw new CommandFailure('--auth accounts needs a database that keeps accounts');
  const { admin, conversations } = await accounts.claimUnownedConversations();
  if (admin && conversations > 0) {
    logger.info({ admin: admin.username, conversations }, 'conversations from before accounts were given to the first admin');
    process.stderr.write(`anychat: ${conversations} conversation(s) from before accounts now belong to ${admin.username}, the first admin\n`);
  }
  if (!admin) {
    process.stderr.write(
      'anychat: --auth accounts: there is no admin account yet; add one with: anychat users add NAME --admin ' +
        '(same --data-dir or DATABASE_URL). Conversations made before accounts wait for it.\n',
    );
  }
}

async function listen(app: FastifyInstance, options: ServeOptions): Promise<void> {
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

