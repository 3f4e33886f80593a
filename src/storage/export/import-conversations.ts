import type { ConversationSnapshot, ConversationStore, ImportedConversation } from '../conversation-store.ts';
import { exportFileSchema } from './export-format.ts';

export interface ImportProblem {
  /** Where in the file, as a JSONPath: `$.conversations[0].messages[3].role`. */
  path: string;
  message: string;
}

/** A file that is not a valid anychat export; nothing was written. */
export class ImportFileError extends Error {
  override readonly name = 'ImportFileError';
  constructor(readonly problems: ImportProblem[]) {
    const shown = problems.slice(0, 5).map((problem) => `${problem.path}: ${problem.message}`);
    const more = problems.length > shown.length ? `; and ${problems.length - shown.length} more` : '';
    super(`Not imported, nothing changed. ${shown.join('; ')}${more}`);
  }
}

/**
 * Checks an export file completely (JSON syntax, every field's type, and that each message tree
 * hangs together) and returns its conversations. Throws ImportFileError naming each problem.
 */
export function parseExportFile(text: string): ConversationSnapshot[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ImportFileError([{ path: '$', message: `not JSON: ${(error as Error).message}` }]);
  }
  return parseExportData(json);
}

/** parseExportFile for a file already parsed as JSON (an HTTP body). */
export function parseExportData(json: unknown): ConversationSnapshot[] {
  const parsed = exportFileSchema.safeParse(json);
  if (!parsed.success) {
    throw new ImportFileError(
      parsed.error.issues.map((issue) => ({ path: jsonPath(issue.path), message: issue.message })),
    );
  }
  const problems = parsed.data.conversations.flatMap((snapshot, index) => treeProblems(snapshot, index));
  const conversationIds = parsed.data.conversations.map((snapshot) => snapshot.conversation.id);
  conversationIds.forEach((id, index) => {
    if (conversationIds.indexOf(id) !== index) {
      problems.push({ path: `$.conversations[${index}].conversation.id`, message: `conversation ${id} appears twice` });
    }
  });
  if (problems.length > 0) throw new ImportFileError(problems);
  return parsed.data.conversations;
}

/** Validates the file, then writes all its conversations in one transaction. */
export async function importConversationsFromJson(store: ConversationStore, text: string): Promise<ImportedConversation[]> {
  return store.importConversations(parseExportFile(text));
}

/** Links the schema cannot check: ids unique, parents and the active leaf inside the conversation, no cycles. */
function treeProblems({ conversation, messages }: ConversationSnapshot, index: number): ImportProblem[] {
  const at = `$.conversations[${index}]`;
  const problems: ImportProblem[] = [];
  const byId = new Map<string, number>();
  messages.forEach((message, position) => {
    if (byId.has(message.id)) problems.push({ path: `${at}.messages[${position}].id`, message: `message ${message.id} appears twice` });
    byId.set(message.id, position);
  });
  messages.forEach((message, position) => {
    const path = `${at}.messages[${position}]`;
    if (message.conversationId !== conversation.id) {
      problems.push({ path: `${path}.conversationId`, message: `expected ${conversation.id}, the id of the conversation it is in` });
    }
    if (message.parentId !== null && !byId.has(message.parentId)) {
      problems.push({ path: `${path}.parentId`, message: `expected the id of a message in this conversation, got ${message.parentId}` });
    }
  });
  if (conversation.activeLeafId !== null && !byId.has(conversation.activeLeafId)) {
    problems.push({
      path: `${at}.conversation.activeLeafId`,
      message: `expected the id of a message in this conversation, got ${conversation.activeLeafId}`,
    });
  }
  if (problems.length === 0) {
    // Every parent exists, so a message whose parent chain never reaches a root is on a cycle.
    // Chains already known to reach a root are not walked again, keeping this linear.
    const parentOf = new Map(messages.map((message) => [message.id, message.parentId]));
    const reachesRoot = new Set<string>();
    messages.forEach((message, position) => {
      const walked = new Set<string>();
      let current: string | null = message.id;
      while (current !== null && !reachesRoot.has(current)) {
        if (walked.has(current)) {
          problems.push({ path: `${at}.messages[${position}].parentId`, message: 'parent links form a cycle' });
          return;
        }
        walked.add(current);
        current = parentOf.get(current) ?? null;
      }
      for (const id of walked) reachesRoot.add(id);
    });
  }
  return problems;
}

function jsonPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (text, key) => (typeof key === 'number' ? `${text}[${key}]` : /^[A-Za-z_]\w*$/.test(String(key)) ? `${text}.${String(key)}` : `${text}[${JSON.stringify(String(key))}]`),
    '$',
  );
}
