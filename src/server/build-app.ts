import { join } from 'node:path';
import cors from '@fastify/cors';
import swagger from '@fastify/swagger';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, serializerCompiler } from 'fastify-type-provider-zod';
import type { ConversationStore } from '../storage/conversation-store.ts';
import { AnswerHub } from './app-api/answer-hub.ts';
import { installApiKeyAuth } from './auth/api-key-auth.ts';
import { answerClientError } from './client-error-handler.ts';
import { frameworkErrorHandler, installErrorHandlers } from './error-handler.ts';
import { ModelRegistry } from './models/model-registry.ts';
import type { ModelSource } from './models/served-model.ts';
import { REDACTED } from './observability/create-logger.ts';
import { installRequestLogging } from './observability/request-logging.ts';
import { ServerMetrics } from './observability/server-metrics.ts';
import { registerAppApiRoutes } from './routes/app-api-routes.ts';
import { registerCspReportRoutes } from './routes/csp-report-routes.ts';
import { registerHealthRoutes } from './routes/health-routes.ts';
import { registerMetricsRoutes } from './routes/metrics-routes.ts';
import { registerOpenAiRoutes } from './routes/openai-routes.ts';
import { registerPageRoutes } from './routes/page-routes.ts';
import { registerTgiRoutes } from './routes/tgi-routes.ts';
import { RunningGenerations } from './scheduling/running-generations.ts';
import { installGracefulShutdown } from './graceful-shutdown.ts';
import { defaultServerLimits, type ServerContext, type ServerLimits } from './server-context.ts';
import { zodValidatorCompiler } from './validation/zod-validator-compiler.ts';

export interface AppDependencies {
  /** The models to serve; the first is the default unless `defaultModelId` says otherwise. */
  models: ModelSource[];
  defaultModelId?: string;
  store: ConversationStore;
  /** When set, every API route needs it (Bearer header or the page's session cookie). */
  apiKey?: string | null;
  /** Origins allowed to call the API from a browser; CORS stays off without it. */
  corsOrigin?: string | string[] | null;
  /** A pino logger (see createServerLogger); no logging when absent. */
  logger?: FastifyBaseLogger;
  limits?: Partial<ServerLimits>;
  /** Upstream keys: kept out of every response (logs are scrubbed by createServerLogger). */
  secrets?: string[];
  /** The built page (web/dist). */
  webRoot?: string;
  version?: string;
}

export const defaultWebRoot = join(import.meta.dirname, '..', '..', 'web', 'dist');

/**
 * The whole HTTP app, ready for `inject()` in tests or `listen()` in `anychat serve`; it never
 * listens by itself. Models may still be loading: `/health` and the page answer meanwhile.
 */
export function buildApp(dependencies: AppDependencies): FastifyInstance {
  const limits: ServerLimits = { ...defaultServerLimits, ...dependencies.limits };
  const models = new ModelRegistry(dependencies.models, dependencies.defaultModelId);
  const metrics = new ServerMetrics(models);
  const running = new RunningGenerations();
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
    authRequired: Boolean(dependencies.apiKey),
    version: dependencies.version ?? '0.0.0',
    scrubSecrets: secretScrubber([...(dependencies.secrets ?? []), ...(dependencies.apiKey ? [dependencies.apiKey] : [])]),
  };

  const app = Fastify({
    ...(dependencies.logger ? { loggerInstance: dependencies.logger } : { logger: false }),
    bodyLimit: limits.bodyLimitBytes,
    // Our own line per request (request-logging.ts) covers streamed responses and adds tokens.
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // Errors raised before any route runs get each API's error shape too, not Fastify's own.
    frameworkErrors: frameworkErrorHandler(limits),
    clientErrorHandler: answerClientError,
  });
  app.setValidatorCompiler(zodValidatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installRequestLogging(app, metrics);
  const pageFallback = registerPageRoutes(app, dependencies.webRoot ?? defaultWebRoot);
  installErrorHandlers(app, limits, pageFallback);
  if (dependencies.corsOrigin) void app.register(cors, { origin: dependencies.corsOrigin, credentials: true });

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
  installApiKeyAuth(app, dependencies.apiKey ?? null);
  // Routes go in a plugin registered after swagger, so swagger sees every one of them.
  void app.register(async (instance) => {
    registerHealthRoutes(instance, context);
    registerMetricsRoutes(instance, context);
    registerTgiRoutes(instance, context);
    registerOpenAiRoutes(instance, context);
    registerAppApiRoutes(instance, context);
    registerCspReportRoutes(instance, context);
    // A family, like every API route: the key check skips routes without one (the page's files).
    instance.get('/openapi.json', { config: { family: 'tgi' }, schema: { hide: true } }, async () => instance.swagger());
  });

  installGracefulShutdown(app, running, limits);
  return app;
}

function secretScrubber(secrets: string[]): (text: string) => string {
  const scrubbed = secrets.filter((secret) => secret.length >= 6);
  return (text) => scrubbed.reduce((clean, secret) => clean.split(secret).join(REDACTED), text);
}
