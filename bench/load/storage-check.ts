import type { LoadHttpClient } from './http-client.ts';

interface StoredMessage {
  id: string;
  role: string;
  parentId: string | null;
  content: string;
  generation: { status: string } | null;
}

interface ConversationWithMessages {
  conversation: { id: string; activeLeafId: string | null };
  messages: StoredMessage[];
}

export interface StorageCheck {
  /** Conversations expected in storage. */
  expected: number;
  /** Of those, how many the sidebar's list (paged to the end) shows. */
  listed: number;
  /** Total conversations the list holds, ours and any others. */
  listedInAll: number;
  /** Read back one by one and compared message by message. */
  checked: number;
  /** Missing, or stored with other messages than were sent and answered. */
  lost: number;
  /** The first few, with what was wrong. */
  lostExamples: string[];
}

const PAGE_SIZE = 500;
/** Reads in flight at once: enough to keep the server busy, few enough not to measure a burst. */
const CONCURRENT_READS = 8;

/** Pages through `GET /api/conversations` as the sidebar does, newest first, to the end. */
async function listAllConversationIds(client: LoadHttpClient): Promise<string[]> {
  const ids: string[] = [];
  let updatedBefore: string | null = null;
  for (;;) {
    const query: string = `limit=${PAGE_SIZE}${updatedBefore ? `&updatedBefore=${encodeURIComponent(updatedBefore)}` : ''}`;
    const page = await client.json<{ conversations: { id: string; updatedAt: string }[] }>('GET', `/api/conversations?${query}`);
    if (page.status !== 200 || !page.body) throw new Error(`GET /api/conversations: status ${page.status} ${page.text.slice(0, 200)}`);
    ids.push(...page.body.conversations.map((conversation) => conversation.id));
    if (page.body.conversations.length < PAGE_SIZE) return ids;
    updatedBefore = page.body.conversations.at(-1)?.updatedAt ?? null;
  }
}

/** What is wrong with one stored conversation, or null: a user message and its exact echo, answered and marked done. */
async function problemWith(client: LoadHttpClient, conversationId: string, expectedText: string): Promise<string | null> {
  const response = await client.json<ConversationWithMessages>('GET', `/api/conversations/${conversationId}`);
  if (response.status !== 200 || !response.body) return `GET status ${response.status}`;
  const [question, answer, ...rest] = response.body.messages;
  if (!question || !answer || rest.length > 0) return `${response.body.messages.length} messages stored, expected 2`;
  if (question.role !== 'user' || question.content !== expectedText) return 'the user message differs';
  if (answer.role !== 'assistant' || answer.parentId !== question.id) return 'the answer is not linked to the question';
  if (answer.content !== expectedText) return `the stored answer differs (${answer.content.length} characters, expected ${expectedText.length})`;
  if (answer.generation?.status !== 'done') return `the answer is stored as ${answer.generation?.status}`;
  if (response.body.conversation.activeLeafId !== answer.id) return 'the active leaf is not the answer';
  return null;
}

/**
 * Checks through the app API that every conversation is stored with the right messages: each is
 * read back in full (`conversations` maps id → the text sent, which the answer must equal), and
 * the paged list is walked to count how many it shows.
 */
export async function checkStoredConversations(client: LoadHttpClient, conversations: Map<string, string>): Promise<StorageCheck> {
  const listedIds = new Set(await listAllConversationIds(client));
  const check: StorageCheck = { expected: conversations.size, listed: 0, listedInAll: listedIds.size, checked: 0, lost: 0, lostExamples: [] };
  for (const id of conversations.keys()) if (listedIds.has(id)) check.listed++;
  const queue = [...conversations.entries()];
  const readNext = async (): Promise<void> => {
    for (let entry = queue.pop(); entry; entry = queue.pop()) {
      const [id, expectedText] = entry;
      const problem = await problemWith(client, id, expectedText).catch((error: unknown) => (error as Error).message);
      check.checked++;
      if (problem === null) continue;
      check.lost++;
      if (check.lostExamples.length < 10) check.lostExamples.push(`${id}: ${problem}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENT_READS }, readNext));
  return check;
}
