import type { FastifyPluginAsync } from 'fastify';
import { registerAnswerRoutes } from '../app-api/answer-routes.ts';
import { appErrorShape } from '../app-api/app-api-errors.ts';
import type { ModelDescription, ServerStatus } from '../app-api/app-api-events.ts';
import { registerConversationRoutes } from '../app-api/conversation-routes.ts';
import { registerShareRoutes } from '../app-api/share-routes.ts';
import { apiErrorHandler, apiNotFoundHandler } from '../error-handler.ts';
import type { ApiPluginOptions } from '../server-context.ts';
import { registerCspReportRoutes } from './csp-report-routes.ts';
import { registerAdminRoutes } from '../app-api/admin-routes.ts';
import { accountView } from '../auth/account-auth.ts';
import { registerToolRoutes } from '../tools/tool-routes.ts';

/**
 * The page's API (app-api-events.ts), registered under `/api`: models and status here,
 * conversations and answers in app-api/, login in auth/, and the page's CSP reports.
 */
export const appApiRoutes: FastifyPluginAsync<ApiPluginOptions> = async (app, { context, auth }) => {
  app.setErrorHandler(apiErrorHandler(appErrorShape, context.limits));
  app.setNotFoundHandler(apiNotFoundHandler(appErrorShape));
  app.addHook('onRequest', auth.check);
  const tags = ['App API: server'];

  app.get('/models', { schema: { tags } }, async () => ({
    models: context.models.models.map(
      (model): ModelDescription => ({
        id: model.id,
        backend: model.backendName ?? 'llamacpp',
        modelId: model.info?.modelId ?? model.id,
        contextWindow: model.info?.contextWindow ?? null,
        hasChatTemplate: Boolean(model.info?.chatTemplate),
        status: model.status,
        download: model.downloadProgress(),
        loadProgress: model.loadProgress,
        onDemand: model.onDemand,
        error: model.failure,
      }),
    ),
    defaultModelId: context.models.defaultModel.id,
  }));

  // Public: the page asks before login whether it must show the login form.
  app.get('/status', { config: { public: true }, schema: { tags } }, async (request): Promise<ServerStatus> => {
    const { status, reason } = context.models.overallStatus();
    const account = request.account ? accountView(request.account) : null;
    return { status, reason, authRequired: context.authRequired, authMode: auth.mode, account, version: context.version };
  });

  auth.registerSessionRoutes(app);
  if (auth.mode === 'accounts') registerAdminRoutes(app, context);
  registerConversationRoutes(app, context);
  registerAnswerRoutes(app, context);
  registerToolRoutes(app, context);
  registerShareRoutes(app, context);
  registerCspReportRoutes(app, context);
};
