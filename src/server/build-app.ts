import { join } from 'node:path';
import cookie from '@fastify/cookie';
import cors from '@fastify/cors';
import swagger from '@fastify/swagger';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, serializerCompiler } from 'fastify-type-provider-zod';
import { packageRoot } from '../package-root.ts';
import type { ConversationStore } from '../storage/conversation-store.ts';
import { AnswerHub } from './app-api/answer-hub.ts';
import { APP_API_PREFIX, OPENAI_API_PREFIX } from './api-prefixes.ts';
import { AccountAuth } from './auth/account-auth.ts';
import { ApiKeyAuth } from './auth/api-key-auth.ts';
import type { AuthMode, AuthStrategy } from './auth/auth-strategy.ts';
import { AccountUsageMetrics } from './observability/account-usage-metrics.ts';
import { ModelRegistry } from './models/model-registry.ts';
import { ModelResidency, type ResidencyLimits } from './models/model-residency.ts';
import { corsOptions } from './origins/cors-options.ts';
import { installHostAndOriginCheck } from './origins/host-and-origin-check.ts';
import type { ModelSource } from './models/served-model.ts';
import { REDACTED } from './observability/create-logger.ts';
import { installRequestLogging } from './observability/request-logging.ts';
import { ServerMetrics } from './observability/server-metrics.ts';
import { answerClientError, errorHandlerByUrl, frameworkErrorHandler } from './pre-routing-errors.ts';
import { appApiRoutes } from './routes/app-api-routes.ts';
import { openAiRoutes } from './routes/openai-routes.ts';
import { operationsRoutes } from './routes/operations-routes.ts';
import { addSecurityHeaders, pageRoutes } from './routes/page-routes.ts';
import { sharedPageRoutes } from './routes/shared-page-routes.ts';
import { oidcRoutes } from './routes/oidc-routes.ts';
import { OidcSignIn } from './auth/oidc/oidc-sign-in.ts';
import type { OidcSettings } from './auth/oidc/oidc-settings.ts';
import { tgiRoutes } from './routes/tgi-routes.ts';
import { receiveTimeoutOptions } from './receive-timeouts.ts';
import { RunningGenerations } from './scheduling/running-generations.ts';
import { installGracefulShutdown } from './graceful-shutdown.ts';
import { defaultServerLimits, type ApiPluginOptions, type ServerContext, type ServerLimits } from './server-context.ts';
import { zodValidatorCompiler } from './zod-validator-compiler.ts';
import type { ServerTools } from './tools/server-tools.ts';

export interface AppDependencies {
  /** The models to serve; the first is the default unless `defaultModelId` says otherwise. */
  models: ModelSource[];
  defaultModelId?: string;
  /** Limits on models loaded on demand: how many at once, how long one may sit idle. */
  modelResidency?: ResidencyLimits;
  store: ConversationStore;
  /** When set, every API route needs it (Bearer header or the page's session cookie). */
  apiKey?: string | null;
  /**
   * `--auth`: default `key` with an apiKey, else `none`. `accounts` needs a store that keeps
   * accounts (PGlite or PostgreSQL); each request then sees its own account's conversations.
   */
  authMode?: AuthMode;
  /** `--admin-reads-conversations`: admins may read (never change) other accounts' conversations. */
  adminReadsConversations?: boolean;
  /** Sign-in with an OpenID Connect provider (`--oidc-*`); needs `authMode: 'accounts'`. */
  oidc?: OidcSettings | null;
  /** Origins allowed to call the API from a browser; CORS stays off without it. */
  corsOrigin?: string | string[] | null;
  /** The address the server listens on; with `allowedHosts`, the names a Host header may carry. */
  listenHost?: string | null;
  /** More names the server is reached by (`--allowed-hosts`), beyond loopback and the listen address. */
  allowedHosts?: string[];
  /** Counts requests refused for their Host or Origin (tests' figures). */
  onOriginRefused?: (reason: 'host' | 'origin') => void;
  /** A pino logger (see createServerLogger); no logging when absent. */
  logger?: FastifyBaseLogger;
  limits?: Partial<ServerLimits>;
  /** Upstream keys: kept out of every response (logs are scrubbed by createServerLogger). */
  secrets?: string[];
  /** Trust X-Forwarded-* from a reverse proxy (Fastify's `trustProxy`): true (any), or the proxy addresses (IPs, CIDRs, `loopback`). */
  trustProxy?: boolean | string[];
  /** The clock for login rate limits, sessions and models' idle time; tests inject one. */
  now?: () => number;
  /** The built page (web/dist). */
  webRoot?: string;
  /** MCP tools the app API's answers may call (`--mcp-config`); never the served /v1 or TGI APIs. */
  tools?: ServerTools | null;
  version?: string;
}

export const defaultWebRoot = join(packageRoot, 'web', 'dist');

/**
 * The whole HTTP app, ready for `inject()` in tests or `listen()` in `anychat serve`; it never
 * listens by itself. Models may still be loading: `/health` and the page answer meanwhile.
 */
export function buildApp(dependencies: AppDependencies): FastifyInstance {
  const limits: ServerLimits = { ...defaultServerLimits, ...dependencies.limits };
  const residency = new ModelResidency(dependencies.modelResidency ?? { maxLoadedModels: null, idleTtlMs: null }, dependencies.now ?? Date.now);
  const models = new ModelRegistry(dependencies.models, dependencies.defaultModelId, residency);
  const metrics = new ServerMetrics(models);
  const running = new RunningGenerations();
  const authMode = dependencies.authMode ?? (dependencies.apiKey ? 'key' : 'none');
  const now = dependencies.now ?? Date.now;
  const failedLogins = { burst: limits.failedLoginBurst, refillMs: limits.failedLoginRefillMs };
  const accountUsageMetrics = new AccountUsageMetrics(metrics.registry);
  const auth: AuthStrategy =
    authMode === 'accounts'
      ? new AccountAuth(dependencies.store, { failedLogins, now, onUsage: (account, usage) => accountUsageMetrics.add(account.username, usage) })
      : new ApiKeyAuth(authMode === 'key' ? dependencies.apiKey || null : null, { failedLogins, now }, dependencies.store);
  if (authMode === 'key' && !dependencies.apiKey) throw new Error('--auth key needs --auth-key (or ANYCHAT_AUTH_KEY)');
  const context: ServerContext = {
    models,
    store: dependencies.store,
    metrics,
    running,
    // The store's answer notifications carry answers to every server on its database.
    hub: new AnswerHub({
      store: dependencies.store,
      running,
      transport: dependencies.store.answerNotifications,
      onTransportError: (error) => app.log.warn({ err: error }, 'an answer notification could not be sent; other servers may not see this answer live'),
    }),
    limits,
    authRequired: auth.authRequired,
    conversationsFor: (request) => auth.conversationsFor(request),
    adminReadsConversations: dependencies.adminReadsConversations ?? false,
    version: dependencies.version ?? '0.0.0',
    now,
    tools: dependencies.tools ?? null,
    scrubSecrets: secretScrubber([...(dependencies.secrets ?? []), ...(dependencies.apiKey ? [dependencies.apiKey] : [])]),
  };

  const app = Fastify({
    ...(dependencies.logger ? { loggerInstance: dependencies.logger } : { logger: false }),
    bodyLimit: limits.bodyLimitBytes,
    ...receiveTimeoutOptions(limits),
    // Our own line per request (request-logging.ts) covers streamed responses and adds tokens.
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
    ...(dependencies.trustProxy === undefined ? {} : { trustProxy: dependencies.trustProxy }),
    forceCloseConnections: 'idle',
    // Errors raised before any route runs get each API's error shape too, not Fastify's own.
    frameworkErrors: frameworkErrorHandler(limits),
    clientErrorHandler: answerClientError,
  });
  // Each API plugin sets its own; this one covers the root's own routes (CORS preflight).
  app.setErrorHandler(errorHandlerByUrl(limits));
  app.setValidatorCompiler(zodValidatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installRequestLogging(app, metrics);
  app.addHook('onSend', addSecurityHeaders);
  if (dependencies.corsOrigin) void app.register(cors, corsOptions(dependencies.corsOrigin));
  void app.register(cookie);
  installHostAndOriginCheck(app, {
    listenHost: dependencies.listenHost ?? null,
    allowedHosts: dependencies.allowedHosts ?? [],
    corsOrigins: typeof dependencies.corsOrigin === 'string' ? [dependencies.corsOrigin] : (dependencies.corsOrigin ?? []),
    ...(dependencies.onOriginRefused ? { onRefused: dependencies.onOriginRefused } : {}),
  });
  // Set on every request by the key check of the API plugins; public routes read it for details.
  app.decorateRequest('hasApiKey', false);
  app.decorateRequest('account', null);
  if (auth instanceof AccountAuth) auth.installUsageAccounting(app);

  void app.register(swagger, {
    openapi: {
      info: {
        title: 'anychat',
        description: 'TGI-compatible, OpenAI-compatible and app APIs. App API streams are server-sent events; see app-api-events.ts.',
        version: context.version,
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      ...(context.authRequired ? { security: [{ bearer: [] }] } : {}),
    },
    transform: jsonSchemaTransform,
  });
  // One plugin per API, each with its own error handler (and, under a prefix, its own not-found
  // handler) and its own API key check; registered after swagger, so swagger sees every route.
  const api: ApiPluginOptions = { context, auth };
  void app.register(tgiRoutes, api);
  void app.register(openAiRoutes, { ...api, prefix: OPENAI_API_PREFIX });
  void app.register(appApiRoutes, { ...api, prefix: APP_API_PREFIX });
  if (dependencies.oidc && !(auth instanceof AccountAuth)) throw new Error('OpenID Connect sign-in needs --auth accounts');
  void app.register(oidcRoutes, {
    prefix: `${APP_API_PREFIX}/auth/oidc`,
    signIn: dependencies.oidc ? new OidcSignIn(dependencies.oidc) : null,
    accounts: auth instanceof AccountAuth ? auth : null,
    limits,
    now: context.now,
  });
  void app.register(operationsRoutes, api);
  void app.register(pageRoutes, { webRoot: dependencies.webRoot ?? defaultWebRoot, limits });
  void app.register(sharedPageRoutes, { webRoot: dependencies.webRoot ?? defaultWebRoot, context });

  installGracefulShutdown(app, running, limits);
  app.decorate('models', models);
  installIdleUnloading(app, models);
  return app;
}

/**
 * Checks for idle models every tenth of the time-to-live (at most each minute), so a model is
 * unloaded at most 10% past it. Tests call `app.models.residency.unloadIdle()` with their own clock.
 */
function installIdleUnloading(app: FastifyInstance, models: ModelRegistry): void {
  const ttl = models.limits.idleTtlMs;
  if (ttl === null || !models.models.some((model) => model.onDemand)) return;
  const timer = setInterval(() => {
    models.residency.unloadIdle().then(
      (unloaded) => unloaded.length > 0 && app.log.info({ models: unloaded }, 'idle models unloaded'),
      (error: unknown) => app.log.warn({ err: error }, 'an idle model could not be unloaded'),
    );
  }, Math.max(1000, Math.min(ttl / 10, 60_000)));
  timer.unref();
  app.addHook('onClose', async () => clearInterval(timer));
}

function secretScrubber(secrets: string[]): (text: string) => string {
  // Every key, however short: a short key is still a key (mangling a word now and then is the lesser harm).
  const scrubbed = secrets.filter((secret) => secret.length > 0);
  return (text) => scrubbed.reduce((clean, secret) => clean.split(secret).join(REDACTED), text);
}
