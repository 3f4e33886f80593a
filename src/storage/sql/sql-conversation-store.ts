import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Conversation, ConversationSummary, SentPrompt } from '../../chat/conversation.ts';
import type { AnswerNotifications } from '../answer-notifications.ts';
import {
  ConversationStoreError,
  type AnswerPatch,
  type ConversationPatch,
  type ConversationSnapshot,
  type ConversationStore,
  type ImportedConversation,
  type ListConversationsOptions,
  type ListMessagesOptions,
  type NewAnswer,
  type NewConversation,
  type NewMessage,
  type StartedAnswer,
} from '../conversation-store.ts';
import { CUT_ANSWER_SILENCE_MS } from '../cut-answers.ts';
import { createMonotonicClock } from '../monotonic-clock.ts';
import type { AccountStore } from '../account-store.ts';
import type { Database } from './database-schema.ts';
import { createSqlAccountStore } from './sql-account-store.ts';
import { storableJson, storableText } from './storable-text.ts';
import { couldBeStoredId } from './stored-id.ts';
import { insertSnapshot, takenIds } from './insert-snapshot.ts';
import { listMessagesAsJson } from './list-messages-as-json.ts';
import { getConversationShare, getSharedConversation, shareConversation, unshareConversation } from './conversation-shares.ts';
import { answerCut, answerCutExpression, MESSAGE_COLUMNS, storablePrompt, storableRecord } from './message-columns.ts';
import { containsPattern, conversationFromRow, messageFromRow } from './row-mapping.ts';

export interface SqlConversationStoreOptions {
  answerNotifications: AnswerNotifications;
  /** Releases what the caller opened besides Kysely (a data directory lock). */
  onClose?: () => Promise<void>;
  /** Default CUT_ANSWER_SILENCE_MS; tests shorten it. */
  cutAnswerSilenceMs?: number;
  /**
   * Read a conversation's messages as one JSON array built by the database (list-messages-as-json.ts)
   * rather than as rows: much faster on PGlite, where decoding rows field by field dominates; a
   * little slower on PostgreSQL, where `pg` decodes rows quickly and the JSON would be built on
   * the shared database server instead of on the app servers.
   */
  listMessagesAsJson?: boolean;
}

/**
 * The ConversationStore over Kysely; PGlite and PostgreSQL share it and differ only in the dialect.
 *
 * Concurrency: every write that touches a conversation's tree (append, delete, moving the active
 * leaf) first locks the conversation's row (`for update`), so writers to one conversation from
 * any number of servers take turns, and each sees the others' committed work (READ COMMITTED
 * takes a fresh snapshot per statement). Foreign keys keep every parent and active leaf inside
 * its own conversation, so even a bug cannot link two conversations.
 */
export function createSqlConversationStore(
  database: Kysely<Database>,
  options: SqlConversationStoreOptions,
): ConversationStore {
  const now = createMonotonicClock();
  const accounts = createSqlAccountStore(database);
  const stores = new Map<string, ConversationStore>();
  const scopedTo = (ownerId: string | null): ConversationStore => {
    if (ownerId === null) return unscoped;
    let store = stores.get(ownerId);
    if (!store) {
      store = createScopedStore(database, options, { ownerId, now, accounts, forOwner: scopedTo });
      // One store object per account seen; they hold nothing but their id and closures.
      stores.set(ownerId, store);
    }
    return store;
  };
  const unscoped = createScopedStore(database, options, { ownerId: null, now, accounts, forOwner: scopedTo });
  return unscoped;
}

interface Scope {
  /**
   * The account every query is limited to, in its SQL (`owner_id = $owner`): another account's ids
   * find nothing, exactly as ids that do not exist. Null: every row, as with --auth none or key.
   */
  ownerId: string | null;
  now: () => string;
  accounts: AccountStore;
  forOwner: (ownerId: string) => ConversationStore;
}

function createScopedStore(database: Kysely<Database>, options: SqlConversationStoreOptions, scope: Scope): ConversationStore {
  const { ownerId, now } = scope;
  const scoped = ownerId !== null;
  const cut = answerCut(options.cutAnswerSilenceMs ?? CUT_ANSWER_SILENCE_MS);
  const aliveNow = sql<Date>`now()`;

  const savePrompt = async (executor: Kysely<Database>, messageId: string, prompt: SentPrompt) => {
    await executor
      .insertInto('answer_prompts')
      .values({ message_id: messageId, prompt: storablePrompt(prompt) })
      .onConflict((conflict) => conflict.column('message_id').doUpdateSet((update) => ({ prompt: update.ref('excluded.prompt') })))
      .execute();
  };

  const lockConversation = async (transaction: Transaction<Database>, conversationId: string) => {
    const row = couldBeStoredId(conversationId)
      ? await transaction
          .selectFrom('conversations')
          .select(['id', 'active_leaf_id'])
          .where('id', '=', conversationId)
          .$if(scoped, (query) => query.where('owner_id', '=', ownerId))
          .forUpdate()
          .executeTakeFirst()
      : undefined;
    if (!row) {
      throw new ConversationStoreError('conversation-not-found', `conversation ${conversationId} does not exist`);
    }
    return row;
  };

  const assertMessageInConversation = async (
    transaction: Transaction<Database>,
    messageId: string,
    conversationId: string,
  ) => {
    const row = couldBeStoredId(messageId)
      ? await transaction
          .selectFrom('messages')
          .select('id')
          .where('id', '=', messageId)
          .where('conversation_id', '=', conversationId)
          .$if(scoped, (query) => query.where('owner_id', '=', ownerId))
          .executeTakeFirst()
      : undefined;
    if (!row) {
      throw new ConversationStoreError(
        'message-not-in-conversation',
        `message ${messageId} is not in conversation ${conversationId}`,
      );
    }
  };

  const insertMessage = async (transaction: Transaction<Database>, input: NewMessage, time: string) => {
    const row = await transaction
      .insertInto('messages')
      .values({
        id: randomUUID(),
        conversation_id: input.conversationId,
        parent_id: input.parentId,
        role: input.role,
        content: storableText(input.content),
        generation: input.generation ? storableRecord(input.generation) : null,
        created_at: time,
        updated_at: time,
        answer_alive_at: aliveNow,
        owner_id: ownerId,
      })
      .returning([...MESSAGE_COLUMNS, cut])
      .executeTakeFirstOrThrow();
    const prompt = input.generation?.prompt ?? null;
    if (prompt) await savePrompt(transaction, row.id, prompt);
    return messageFromRow(row, prompt);
  };

  const setActiveLeaf = async (transaction: Transaction<Database>, conversationId: string, messageId: string, time: string) => {
    await transaction
      .updateTable('conversations')
      .set({ active_leaf_id: messageId, updated_at: time })
      .where('id', '=', conversationId)
      .execute();
  };

  /** A question may not follow an answer still being generated: the model would see it empty. */
  const assertParentSettled = async (transaction: Transaction<Database>, parentId: string, conversationId: string) => {
    const parent = couldBeStoredId(parentId)
      ? await transaction
          .selectFrom('messages')
          .select([sql<string | null>`messages.generation ->> 'status'`.as('status'), cut])
          .where('id', '=', parentId)
          .where('conversation_id', '=', conversationId)
          .$if(scoped, (query) => query.where('owner_id', '=', ownerId))
          .executeTakeFirst()
      : undefined;
    if (!parent) {
      throw new ConversationStoreError('message-not-in-conversation', `message ${parentId} is not in conversation ${conversationId}`);
    }
    if (parent.status === 'streaming' && !parent.answer_cut) {
      throw new ConversationStoreError('answer-in-progress', 'the answer this message follows is still being generated; stop it or wait for it to end');
    }
  };

  /**
   * Continue: marks the answer streaming again with one conditional UPDATE, so of any number of
   * racers (on any server) exactly one matches; the others find it streaming, and alive.
   */
  const restartAnswer = async (transaction: Transaction<Database>, conversationId: string, answerId: string, generation: NewAnswer['generation']) => {
    const row = couldBeStoredId(answerId)
      ? await transaction
          .updateTable('messages')
          .set({ generation: storableRecord(generation), updated_at: now(), answer_alive_at: aliveNow })
          .where('id', '=', answerId)
          .where('conversation_id', '=', conversationId)
          .$if(scoped, (query) => query.where('owner_id', '=', ownerId))
          .where('role', '=', 'assistant')
          .where((expression) =>
            expression.or([
              expression(sql<string>`coalesce(messages.generation ->> 'status', '')`, '<>', 'streaming'),
              expression(answerCutExpression(options.cutAnswerSilenceMs ?? CUT_ANSWER_SILENCE_MS), '=', true),
            ]),
          )
          .returning([...MESSAGE_COLUMNS, cut])
          .executeTakeFirst()
      : undefined;
    if (!row) {
      const exists = couldBeStoredId(answerId) && (await transaction
          .selectFrom('messages')
          .select('id')
          .where('id', '=', answerId)
          .$if(scoped, (query) => query.where('owner_id', '=', ownerId))
          .executeTakeFirst());
      if (!exists) throw new ConversationStoreError('message-not-found', `no message with id ${answerId}`);
      throw new ConversationStoreError('answer-in-progress', 'this answer is still being generated; stop it or wait for it to end');
    }
    const prompt = generation.prompt;
    if (prompt) await savePrompt(transaction, answerId, prompt);
    return messageFromRow(row, prompt);
  };

  return {
    answerNotifications: options.answerNotifications,
    accounts: scope.accounts,
    forOwner: scope.forOwner,

    async listConversations(listOptions: ListConversationsOptions = {}): Promise<ConversationSummary[]> {
      let query = database
        .selectFrom('conversations as c')
        .selectAll('c')
        .select((expression) =>
          expression
            .selectFrom('messages as m')
            .whereRef('m.conversation_id', '=', 'c.id')
            .select(expression.cast<number>(expression.fn.countAll(), 'integer').as('count'))
            .as('message_count'),
        )
        .$if(scoped, (query) => query.where('c.owner_id', '=', ownerId))
        .orderBy('c.updated_at', 'desc')
        .orderBy('c.id', 'desc')
        .limit(listOptions.limit ?? 100);
      if (listOptions.updatedBefore) query = query.where('c.updated_at', '<', new Date(listOptions.updatedBefore));
      if (listOptions.search) {
        // ILIKE scans; fine for one person's history. Many users' worth would want a pg_trgm index.
        // PostgreSQL text cannot hold U+0000; the search must look for what storing it would have kept.
        const pattern = containsPattern(storableText(listOptions.search));
        query = query.where((expression) =>
          expression.or([
            expression('c.title', 'ilike', pattern),
            expression.exists(
              expression
                .selectFrom('messages as m')
                .select('m.id')
                .whereRef('m.conversation_id', '=', 'c.id')
                .where('m.content', 'ilike', pattern),
            ),
          ]),
        );
      }
      const rows = await query.execute();
      return rows.map((row) => ({ ...conversationFromRow(row), messageCount: row.message_count ?? 0 }));
    },

    async createConversation(input: NewConversation = {}): Promise<Conversation> {
      const time = now();
      const row = await database
        .insertInto('conversations')
        .values({
          id: randomUUID(),
          title: storableText(input.title ?? 'New chat'),
          settings: storableJson(input.settings ?? {}),
          active_leaf_id: null,
          created_at: time,
          updated_at: time,
          owner_id: ownerId,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return conversationFromRow(row);
    },

    async getConversation(id: string) {
      if (!couldBeStoredId(id)) return null;
      const row = await database
        .selectFrom('conversations')
        .selectAll()
        .where('id', '=', id)
        .$if(scoped, (query) => query.where('owner_id', '=', ownerId))
        .executeTakeFirst();
      return row ? conversationFromRow(row) : null;
    },

    async listMessages(conversationId: string, listOptions: ListMessagesOptions = {}) {
      if (!couldBeStoredId(conversationId)) return [];
      const includePrompts = listOptions.includePrompts ?? false;
      if (options.listMessagesAsJson) {
        return listMessagesAsJson(database, conversationId, { includePrompts, cutAnswerSilenceMs: options.cutAnswerSilenceMs ?? CUT_ANSWER_SILENCE_MS, ownerId });
      }
      const query = database
        .selectFrom('messages')
        .select([...MESSAGE_COLUMNS, cut])
        .where('messages.conversation_id', '=', conversationId)
        .$if(scoped, (query) => query.where('messages.owner_id', '=', ownerId))
        .orderBy('messages.insertion_order');
      if (!includePrompts) return (await query.execute()).map((row) => messageFromRow(row, null));
      const rows = await query.leftJoin('answer_prompts', 'answer_prompts.message_id', 'messages.id').select('answer_prompts.prompt').execute();
      return rows.map((row) => messageFromRow(row, row.prompt));
    },

    async updateConversation(id: string, patch: ConversationPatch) {
      if (!couldBeStoredId(id)) return null;
      return database.transaction().execute(async (transaction) => {
        const exists = await transaction
          .selectFrom('conversations')
          .select('id')
          .where('id', '=', id)
          .$if(scoped, (query) => query.where('owner_id', '=', ownerId))
          .forUpdate()
          .executeTakeFirst();
        if (!exists) return null;
        if (patch.activeLeafId) await assertMessageInConversation(transaction, patch.activeLeafId, id);
        const row = await transaction
          .updateTable('conversations')
          .set({
            ...(patch.title === undefined ? {} : { title: storableText(patch.title) }),
            ...(patch.settings === undefined ? {} : { settings: storableJson(patch.settings) }),
            ...(patch.activeLeafId === undefined ? {} : { active_leaf_id: patch.activeLeafId }),
            updated_at: now(),
          })
          .where('id', '=', id)
          .returningAll()
          .executeTakeFirstOrThrow();
        return conversationFromRow(row);
      });
    },

    async deleteConversation(id: string) {
      if (!couldBeStoredId(id)) return false;
      // Messages go with it (ON DELETE CASCADE).
      const result = await database
        .deleteFrom('conversations')
        .where('id', '=', id)
        .$if(scoped, (query) => query.where('owner_id', '=', ownerId))
        .executeTakeFirst();
      return result.numDeletedRows > 0n;
    },

    async appendMessage(input: NewMessage) {
      return database.transaction().execute(async (transaction) => {
        await lockConversation(transaction, input.conversationId);
        if (input.parentId) await assertMessageInConversation(transaction, input.parentId, input.conversationId);
        const time = now();
        const message = await insertMessage(transaction, input, time);
        await setActiveLeaf(transaction, input.conversationId, message.id, time);
        return message;
      });
    },

    async startAnswer(input: NewAnswer): Promise<StartedAnswer> {
      return database.transaction().execute(async (transaction) => {
        // Every racer for this conversation queues here; each sees what the one before committed.
        const conversation = await lockConversation(transaction, input.conversationId);
        const time = now();
        const { title, settings } = input.conversationPatch;
        if (title !== undefined || settings !== undefined) {
          await transaction
            .updateTable('conversations')
            .set({
              ...(title === undefined ? {} : { title: storableText(title) }),
              ...(settings === undefined ? {} : { settings: storableJson(settings) }),
            })
            .where('id', '=', input.conversationId)
            .execute();
        }
        let userMessage = null;
        let answer;
        if (input.continueAnswerId) {
          answer = await restartAnswer(transaction, input.conversationId, input.continueAnswerId, input.generation);
        } else {
          let answerParentId = input.answerParentId;
          if (input.userMessage) {
            const { parentId } = input.userMessage;
            if (input.expectActiveLeaf && conversation.active_leaf_id !== parentId) {
              throw new ConversationStoreError('answer-in-progress', 'another message was just sent in this conversation; reload it, or pass parentId');
            }
            if (parentId) await assertParentSettled(transaction, parentId, input.conversationId);
            userMessage = await insertMessage(transaction, { conversationId: input.conversationId, role: 'user', ...input.userMessage }, time);
            answerParentId = userMessage.id;
          } else if (answerParentId) {
            await assertMessageInConversation(transaction, answerParentId, input.conversationId);
          }
          answer = await insertMessage(
            transaction,
            { conversationId: input.conversationId, parentId: answerParentId, role: 'assistant', content: '', generation: input.generation },
            time,
          );
        }
        await setActiveLeaf(transaction, input.conversationId, answer.id, time);
        return { userMessage, answer };
      });
    },

    async getMessage(id: string) {
      if (!couldBeStoredId(id)) return null;
      const row = await database
        .selectFrom('messages')
        .leftJoin('answer_prompts', 'answer_prompts.message_id', 'messages.id')
        .select([...MESSAGE_COLUMNS, cut, 'answer_prompts.prompt'])
        .where('messages.id', '=', id)
        .$if(scoped, (query) => query.where('messages.owner_id', '=', ownerId))
        .executeTakeFirst();
      return row ? messageFromRow(row, row.prompt) : null;
    },

    async updateAnswer(id: string, patch: AnswerPatch) {
      if (!couldBeStoredId(id)) return null;
      const prompt = patch.generation?.prompt ?? null;
      // Saving progress is one statement, so it needs no lock: it cannot tear, and it never
      // touches the tree's shape. Only a new prompt (continue) takes a transaction.
      const save = async (executor: Kysely<Database>) => {
        const row = await executor
          .updateTable('messages')
          .set({
            ...(patch.content === undefined ? {} : { content: storableText(patch.content) }),
            ...(patch.generation === undefined ? {} : { generation: storableRecord(patch.generation) }),
            updated_at: now(),
            answer_alive_at: aliveNow,
          })
          .where('messages.id', '=', id)
          .$if(scoped, (query) => query.where('messages.owner_id', '=', ownerId))
          .returning([...MESSAGE_COLUMNS, cut])
          .executeTakeFirst();
        if (row && prompt) await savePrompt(executor, id, prompt);
        return row ? messageFromRow(row, prompt) : null;
      };
      return prompt ? database.transaction().execute(save) : save(database);
    },

    async deleteMessage(id: string) {
      if (!couldBeStoredId(id)) return false;
      return database.transaction().execute(async (transaction) => {
        const target = await transaction
          .selectFrom('messages')
          .select(['conversation_id', 'parent_id'])
          .where('id', '=', id)
          .$if(scoped, (query) => query.where('owner_id', '=', ownerId))
          .executeTakeFirst();
        if (!target) return false;
        const conversation = await lockConversation(transaction, target.conversation_id);
        if (conversation.active_leaf_id) {
          // Is the target on the path from the active leaf to the root? Then the leaf is going away.
          const onActiveBranch = await transaction
            .withRecursive('ancestors(id, parent_id)', (recursive) =>
              recursive
                .selectFrom('messages')
                .select(['id', 'parent_id'])
                .where('id', '=', conversation.active_leaf_id)
                .unionAll((union) =>
                  union
                    .selectFrom('messages')
                    .innerJoin('ancestors', 'ancestors.parent_id', 'messages.id')
                    .select(['messages.id', 'messages.parent_id']),
                ),
            )
            .selectFrom('ancestors')
            .select('id')
            .where('id', '=', id)
            .executeTakeFirst();
          if (onActiveBranch) {
            await transaction
              .updateTable('conversations')
              .set({ active_leaf_id: target.parent_id })
              .where('id', '=', target.conversation_id)
              .execute();
          }
        }
        // Descendants go with it (ON DELETE CASCADE on the parent key).
        const result = await transaction.deleteFrom('messages').where('id', '=', id).executeTakeFirst();
        return result.numDeletedRows > 0n;
      });
    },

    async importConversations(snapshots: ConversationSnapshot[]): Promise<ImportedConversation[]> {
      return database.transaction().execute(async (transaction) => {
        // Scoped to an account, every import gets fresh ids: keeping the ids that are free would
        // tell whether another account holds the ones that are not.
        const taken = scoped ? null : await takenIds(transaction, snapshots);
        const imported: ImportedConversation[] = [];
        for (const snapshot of snapshots) imported.push(await insertSnapshot(transaction, snapshot, taken, ownerId));
        return imported;
      });
    },

    shareConversation: (conversationId) => shareConversation(database, conversationId, ownerId, now()),
    getConversationShare: (conversationId) => getConversationShare(database, conversationId, ownerId),
    unshareConversation: (conversationId) => unshareConversation(database, conversationId, ownerId),
    getSharedConversation: (token) => getSharedConversation(database, token),

    async close() {
      await options.answerNotifications.close();
      await database.destroy();
      await options.onClose?.();
    },
  };
}
