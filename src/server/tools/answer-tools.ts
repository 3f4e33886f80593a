import type { FastifyRequest } from 'fastify';
import type { Backend, BackendInfo } from '../../backends/backend.ts';
import type { ConversationSettings } from '../../chat/conversation.ts';
import type { ChatMessage } from '../../chat/message.ts';
import { prepareGeneration, type PreparedGeneration } from '../../chat/prepare-generation.ts';
import { isToolSwitchedOn } from '../../chat/tools/conversation-tool-settings.ts';
import { runToolLoop, type ApprovalDecision, type ToolLoopEvent } from '../../chat/tools/tool-loop.ts';
import type { OfferedTool } from '../../chat/tools/tool-runner.ts';
import type { ToolCallRecord } from '../../chat/tools/tool-call-record.ts';
import type { ConversationStore } from '../../storage/conversation-store.ts';
import type { ServerTools } from './server-tools.ts';

/**
 * The tools one answer offers: the operator's (never `never`), narrowed by the conversation's
 * switches, with the "Always allow" answers it kept; none when the requester may not use tools
 * or the backend cannot take them.
 */
export function offeredToolsFor(tools: ServerTools | null, request: FastifyRequest, settings: ConversationSettings, info: BackendInfo): OfferedTool[] {
  if (!tools || !info.capabilities?.tools || !tools.mayUseTools(request)) return [];
  const alwaysAllow = new Set(settings.tools?.alwaysAllow ?? []);
  return tools.runner
    .tools()
    .filter((tool) => isToolSwitchedOn(settings.tools, tool.server, tool.definition.name))
    .map((tool) => (tool.approval === 'ask' && alwaysAllow.has(tool.definition.name) ? { ...tool, approval: 'always' as const } : tool));
}

/** How the first step offers the tools: `required` when the conversation asks a call first. */
export function firstStepExtras(offered: readonly OfferedTool[], settings: ConversationSettings) {
  if (offered.length === 0) return undefined;
  return { tools: offered.map((tool) => tool.definition), toolChoice: settings.tools?.firstStepChoice ?? 'auto' };
}

/** The producer of an answer with tools: the tool loop, approvals through the server's registry. */
export function toolLoopProducer(input: {
  tools: ServerTools;
  store: ConversationStore;
  backend: Backend;
  info: BackendInfo;
  first: PreparedGeneration;
  offered: OfferedTool[];
  branch: ChatMessage[];
  settings: ConversationSettings;
  conversationId: string;
  /** The answer's id, known once it is stored (before its first step runs). */
  answerId: () => string;
}): (signal: AbortSignal) => AsyncIterable<ToolLoopEvent> {
  const { tools, backend, info, settings } = input;
  const definitions = input.offered.map((tool) => tool.definition);
  return (signal) =>
    runToolLoop(
      {
        backend,
        first: input.first,
        prepareStep: (answerSoFar, offerTools) =>
          prepareGeneration({
            backend,
            info,
            messages: [...input.branch, ...answerSoFar],
            settings,
            extras: offerTools ? { tools: definitions, toolChoice: 'auto' } : {},
          }),
        runner: tools.runner,
        offered: input.offered,
        maxSteps: tools.maxSteps,
        approve: async (call: ToolCallRecord, approvalSignal: AbortSignal): Promise<ApprovalDecision> => {
          const decision = await tools.approvals.wait(input.answerId(), call.id, approvalSignal);
          if (decision === 'always-allow') await rememberAlwaysAllow(input.store, input.conversationId, call.name);
          return decision;
        },
      },
      signal,
    );
}

/** "Always allow" holds for the conversation: later answers in it run the tool without asking. */
async function rememberAlwaysAllow(store: ConversationStore, conversationId: string, toolName: string): Promise<void> {
  const conversation = await store.getConversation(conversationId);
  if (!conversation) return;
  const tools = conversation.settings.tools ?? {};
  if (tools.alwaysAllow?.includes(toolName)) return;
  await store.updateConversation(conversationId, { settings: { ...conversation.settings, tools: { ...tools, alwaysAllow: [...(tools.alwaysAllow ?? []), toolName] } } });
}
