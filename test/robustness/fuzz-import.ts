/**
 * Import fuzzing: a real export file (made by the export route from a seeded conversation) with
 * its fields mutated, so the checks behind the schema (ids, links between messages, the write)
 * are reached too.
 */
import fc from 'fast-check';
import type { FuzzRun } from './fuzz-bodies.ts';
import { mutatedBodies } from './fuzz-request-bodies.ts';

const conversationFields = ['conversations', 'conversations.0', 'conversations.0.conversation', 'conversations.0.messages'].concat(
  ['id', 'title', 'settings', 'settings.parameters.temperature', 'activeLeafId', 'createdAt', 'updatedAt'].map((field) => `conversations.0.conversation.${field}`),
);
const messageFields = ['id', 'conversationId', 'parentId', 'role', 'content', 'createdAt', 'generation', 'generation.status', 'generation.prompt', 'generation.parameters.maxNewTokens', 'generation.usage', 'generation.timings.totalMs'].flatMap((field) => [
  `conversations.0.messages.0.${field}`,
  `conversations.0.messages.1.${field}`,
]);
const importFields = ['format', 'version', 'exportedAt', ...conversationFields, ...messageFields];

export async function fuzzImportBodies(run: FuzzRun, numRuns: number): Promise<void> {
  const route = run.routes.find((candidate) => candidate.method === 'POST' && candidate.url === '/api/conversations/import');
  if (!route) return;
  const fixtures = await run.freshFixtures();
  const exported = await run.harness.app.inject({ method: 'GET', url: `/api/conversations/${fixtures.conversationId}/export` });
  const validFile = { format: 'anychat-conversations', version: 1, exportedAt: new Date().toISOString(), conversations: [exported.json()] };
  // The untouched file must import, or every mutation below would only test the first check.
  const accepted = await run.harness.app.inject({ method: 'POST', url: route.url, payload: validFile });
  if (accepted.statusCode !== 201) throw new Error(`a real export file was refused: ${accepted.statusCode} ${accepted.body.slice(0, 300)}`);
  await fc.assert(
    fc.asyncProperty(mutatedBodies(validFile, importFields), async (payload) => void (await run.harness.send(route, { method: 'POST', url: route.url, payload }))),
    { numRuns, seed: run.seed, endOnFailure: true },
  );
}
