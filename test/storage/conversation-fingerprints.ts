import type { DatabaseReader } from './database-reader.ts';

/**
 * A hash per conversation of everything a user would miss if it changed: title, settings, active
 * leaf, times, and each message's links, text, generation record and prompt. The prompt is read
 * where the schema keeps it (inside the record before migration 0002, in answer_prompts after), so
 * fingerprints taken before and after a migration compare equal when nothing was lost.
 */
export async function conversationFingerprints(reader: DatabaseReader): Promise<Map<string, string>> {
  const [tables] = await reader.query<{ messages: string | null; prompts: string | null }>(
    `select to_regclass('messages')::text as messages, to_regclass('answer_prompts')::text as prompts`,
  );
  // A first start killed before it created the schema left no conversations.
  if (!tables?.messages) return new Map();
  const prompt = tables.prompts ? `(select p.prompt from answer_prompts p where p.message_id = m.id)` : `m.generation -> 'prompt'`;
  const rows = await reader.query<{ id: string; fingerprint: string }>(`
    select c.id, md5(concat_ws('|', c.title, c.settings::text, c.active_leaf_id, c.created_at, c.updated_at, (
      select string_agg(concat_ws('|', m.id, m.parent_id, m.role, m.content, (m.generation - 'prompt')::text,
        (${prompt})::text, m.created_at, m.updated_at), ',' order by m.id)
      from messages m where m.conversation_id = c.id))) as fingerprint
    from conversations c`);
  return new Map(rows.map((row) => [row.id, row.fingerprint]));
}

/** The ids of the `before` conversations missing from `after` or different in it. */
export function conversationsLost(before: ReadonlyMap<string, string>, after: ReadonlyMap<string, string>): string[] {
  return [...before].filter(([id, fingerprint]) => after.get(id) !== fingerprint).map(([id]) => id);
}
