import type { FastifyInstance } from 'fastify';
import { registerAnswerRoutes } from '../app-api/answer-routes.ts';
import type { ModelDescription, ServerStatus } from '../app-api/app-api-events.ts';
import { registerConversationRoutes } from '../app-api/conversation-routes.ts';
import type { ServerContext } from '../server-context.ts';

/** The page's API (app-api-events.ts): models and status here, conversations and answers in app-api/. */
export function registerAppApiRoutes(app: FastifyInstance, context: ServerContext): void {
  const tags = ['App API: server'];

  app.get('/api/models', { config: { family: 'app' }, schema: { tags } }, async () => ({
    models: context.models.models.map(
      (model): ModelDescription => ({
        id: model.id,
        backend: model.info?.backend ?? model.backend?.name ?? 'llamacpp',
        modelId: model.info?.modelId ?? model.id,
        contextWindow: model.info?.contextWindow ?? null,
        hasChatTemplate: Boolean(model.info?.chatTemplate),
        status: model.status,
        download: model.downloadProgress(),
        error: model.failure,
      }),
    ),
    defaultModelId: context.models.defaultModel.id,
  }));

  // Public: the page asks before login whether it must show the login form.
  app.get('/api/status', { config: { family: 'app', public: true }, schema: { tags } }, async (): Promise<ServerStatus> => {
    const { status, reason } = context.models.overallStatus();
    return { status, reason, authRequired: context.authRequired, version: context.version };
  });

  registerConversationRoutes(app, context);
  registerAnswerRoutes(app, context);
}
