import type { FastifyReply } from 'fastify';
import type { Conversation, ConversationSettings, GenerationRecord } from '../../chat/conversation.ts';
import { resolveGenerationParameters } from '../../chat/generation-parameters.ts';
import type { ServedModel } from '../models/served-model.ts';
import type { ConversationStore } from '../../storage/conversation-store.ts';
import { SseStream } from '../sse-stream.ts';
import type { AnswerStreamEvent } from './app-api-events.ts';

/**
 * A message sent to a model that failed to load. Refusing it with a 503 would lose what the user
 * typed; instead the question is stored with an answer that failed, saying why, so the page shows
 * it with Retry (a regenerate once the model works again). Kept apart from the answer path: no
 * generation starts here.
 */
export async function answerFromFailedModel(
  store: ConversationStore,
  reply: FastifyReply,
  model: ServedModel,
  plan: {
    conversation: Conversation;
    settings: ConversationSettings;
    newUserMessage: { parentId: string | null; content: string };
    followsActiveLeaf: boolean;
    title: string | null;
  },
): Promise<void> {
  // Bad parameters are still refused as they would be for a working model (400, nothing stored).
  const parameters = resolveGenerationParameters(plan.settings.parameters ?? {});
  const record: GenerationRecord = {
    status: 'error',
    finishReason: null,
    error: { code: 'model-load', message: `model ${model.id} failed to load: ${model.failure}` },
    // Unknown when the backend never started; the same default as GET /api/models.
    backend: model.info?.backend ?? model.backend?.name ?? 'llamacpp',
    modelId: model.id,
    template: plan.settings.template ?? 'plain',
    prompt: null,
    parameters,
    contextWindow: null,
    promptTokens: null,
    droppedTurns: 0,
    usage: null,
    timings: null,
    reasoning: null,
  };
  // One transaction, with the same checks as a working model's answer (no question under an answer
  // still streaming), so a failed send never leaves a question without its answer.
  const { userMessage, answer } = await store.startAnswer({
    conversationId: plan.conversation.id,
    conversationPatch: { settings: plan.settings, ...(plan.title ? { title: plan.title } : {}) },
    userMessage: plan.newUserMessage,
    expectActiveLeaf: plan.followsActiveLeaf,
    answerParentId: null,
    continueAnswerId: null,
    generation: record,
  });
  const stream = new SseStream(reply);
  const events: AnswerStreamEvent[] = [
    ...(userMessage ? [{ type: 'user-message' as const, message: userMessage }] : []),
    { type: 'answer-start', message: answer },
    { type: 'answer-error', message: answer, code: 'model-load', error: record.error?.message ?? '' },
  ];
  for (const event of events) stream.sendJson(event, event.type);
  stream.end();
}
