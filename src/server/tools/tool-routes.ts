import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { requireMessage } from '../app-api/require-stored.ts';
import { toolApprovalBodySchema, toolCallParamsSchema } from '../app-api/app-api-schemas.ts';
import { HttpProblem } from '../http-problem.ts';
import type { ServerContext } from '../server-context.ts';

const tags = ['App API: tools'];

/**
 * The operator's MCP tools as the page sees them, and the answer to an approval prompt. Nothing
 * here adds a server or runs a tool by itself: tools run only inside an answer, and a call that
 * asks for approval runs only after this POST (never a GET, so no link can run one).
 */
export function registerToolRoutes(app: FastifyInstance, context: ServerContext): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();

  routes.get('/tools', { schema: { tags, summary: 'The MCP servers the operator configured, their state and tools' } }, async (request) => {
    const tools = context.tools;
    if (!tools) return { servers: [], maxSteps: 0, allowed: false };
    if (!tools.mayUseTools(request)) return { servers: [], maxSteps: tools.maxSteps, allowed: false };
    return { servers: tools.runner.describe(), maxSteps: tools.maxSteps, allowed: true };
  });

  routes.post(
    '/messages/:id/tool-calls/:callId/approval',
    { schema: { tags, summary: 'Allow once, always allow or deny a tool call awaiting approval', params: toolCallParamsSchema, body: toolApprovalBodySchema } },
    async (request, reply) => {
      const { id, callId } = request.params;
      // Only the answer's owner decides: another user's ids are a 404, as ids that do not exist.
      const message = await requireMessage(context.conversationsFor(request), id);
      const tools = context.tools;
      if (!tools || !tools.mayUseTools(request)) throw new HttpProblem(403, 'forbidden', 'tools are not available to you on this server');
      if (tools.approvals.answer(id, callId, request.body.decision)) return reply.code(204).send();
      const call = message.generation?.toolCalls?.find((candidate) => candidate.id === callId);
      if (!call) throw new HttpProblem(404, 'not-found', `answer ${id} has no tool call ${callId}`, 'callId');
      throw new HttpProblem(409, 'conflict', `tool call ${callId} is not awaiting approval here (it is ${call.status}); approvals go to the server generating the answer`);
    },
  );
}
