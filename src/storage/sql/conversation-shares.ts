import { sql, type Kysely } from 'kysely';
import type { ConversationShare, SharedConversation, SharedMessage } from '../../chat/shared-conversation.ts';
import { couldBeShareToken, newShareToken } from '../share-token.ts';
import type { Database } from './database-schema.ts';
import { couldBeStoredId } from './stored-id.ts';

interface ShareRow {
  token: string;
  conversation_id: string;
  shared_at: Date;
  message_count: number;
}

const shareFromRow = (row: ShareRow): ConversationShare => ({
  token: row.token,
  conversationId: row.conversation_id,
  sharedAt: new Date(row.shared_at).toISOString(),
  messageCount: Number(row.message_count),
});

/**
 * The account a store is scoped to (`--auth accounts`), or null for every conversation. Owner
 * checks are part of each statement, so a share can only be made, read back or revoked by the
 * conversation's owner: another account's conversation id finds nothing, as a missing one.
 */
type OwnerId = string | null;

const ownedBy = (ownerId: OwnerId) => (ownerId === null ? sql`` : sql`and c.owner_id = ${ownerId}`);

/**
 * The conversation's branch, walked from its active leaf to the first message and copied into the
 * share in the same statement, so no edit can land between reading the branch and storing it.
 * Only what a reader sees is copied (SharedMessage): no ids, prompts or settings.
 */
export async function shareConversation(database: Kysely<Database>, conversationId: string, ownerId: OwnerId, time: string): Promise<ConversationShare | null> {
  if (!couldBeStoredId(conversationId)) return null;
  const { rows } = await sql<ShareRow>`
    with recursive branch (id, parent_id, role, content, generation, depth) as (
      select m.id, m.parent_id, m.role, m.content, m.generation, 0
      from conversations c
      join messages m on m.conversation_id = c.id and m.id = c.active_leaf_id
      where c.id = ${conversationId} ${ownedBy(ownerId)}
      union all
      select m.id, m.parent_id, m.role, m.content, m.generation, branch.depth + 1
      from branch
      join messages m on m.conversation_id = ${conversationId} and m.id = branch.parent_id
    )
    insert into conversation_shares (token, conversation_id, title, messages, shared_at)
    select ${newShareToken()}, c.id, c.title,
      coalesce(
        (select jsonb_agg(
            jsonb_build_object(
              'role', branch.role,
              'content', branch.content,
              'reasoning', nullif(branch.generation -> 'reasoning' ->> 'text', ''),
              'modelId', branch.generation ->> 'modelId'
            ) order by branch.depth desc)
          from branch),
        '[]'::jsonb),
      ${time}
    from conversations c
    where c.id = ${conversationId} ${ownedBy(ownerId)}
    on conflict (conversation_id) do update
      set title = excluded.title, messages = excluded.messages, shared_at = excluded.shared_at
    returning token, conversation_id, shared_at, jsonb_array_length(messages) as message_count
  `.execute(database);
  return rows[0] ? shareFromRow(rows[0]) : null;
}

export async function getConversationShare(database: Kysely<Database>, conversationId: string, ownerId: OwnerId): Promise<ConversationShare | null> {
  if (!couldBeStoredId(conversationId)) return null;
  const row = await database
    .selectFrom('conversation_shares as s')
    .innerJoin('conversations as c', 'c.id', 's.conversation_id')
    .select(['s.token', 's.conversation_id', 's.shared_at', sql<number>`jsonb_array_length(s.messages)`.as('message_count')])
    .where('s.conversation_id', '=', conversationId)
    .$if(ownerId !== null, (query) => query.where('c.owner_id', '=', ownerId))
    .executeTakeFirst();
  return row ? shareFromRow(row) : null;
}

export async function unshareConversation(database: Kysely<Database>, conversationId: string, ownerId: OwnerId): Promise<boolean> {
  if (!couldBeStoredId(conversationId)) return false;
  const result = await database
    .deleteFrom('conversation_shares')
    .where('conversation_id', '=', conversationId)
    .$if(ownerId !== null, (query) =>
      query.where('conversation_id', 'in', database.selectFrom('conversations').select('id').where('owner_id', '=', ownerId)),
    )
    .executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/** Public: the token alone names the snapshot, whoever asks (no owner scope applies). */
export async function getSharedConversation(database: Kysely<Database>, token: string): Promise<SharedConversation | null> {
  if (!couldBeShareToken(token)) return null;
  const row = await database
    .selectFrom('conversation_shares')
    .select(['title', 'messages', 'shared_at'])
    .where('token', '=', token)
    .executeTakeFirst();
  if (!row) return null;
  return { title: row.title, sharedAt: new Date(row.shared_at).toISOString(), messages: row.messages as SharedMessage[] };
}
