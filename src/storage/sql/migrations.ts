import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Every schema change, in order. Names sort in application order; never edit or remove one that
 * has shipped: add a new one. The database records applied names in `anychat_migrations`.
 */
export const migrations: Record<string, Migration> = {
  '0001-conversations-and-messages': {
    async up(database: Kysely<unknown>) {
      await database.schema
        .createTable('conversations')
        .addColumn('id', 'uuid', (column) => column.primaryKey())
        .addColumn('title', 'text', (column) => column.notNull())
        .addColumn('settings', 'jsonb', (column) => column.notNull().defaultTo(sql`'{}'::jsonb`))
        .addColumn('active_leaf_id', 'uuid')
        .addColumn('created_at', sql`timestamptz(3)`, (column) => column.notNull())
        .addColumn('updated_at', sql`timestamptz(3)`, (column) => column.notNull())
        .execute();

      await database.schema
        .createTable('messages')
        .addColumn('id', 'uuid', (column) => column.primaryKey())
        .addColumn('conversation_id', 'uuid', (column) =>
          column.notNull().references('conversations.id').onDelete('cascade'),
        )
        .addColumn('parent_id', 'uuid')
        .addColumn('role', 'text', (column) => column.notNull().check(sql`role in ('system', 'user', 'assistant')`))
        .addColumn('content', 'text', (column) => column.notNull())
        .addColumn('generation', 'jsonb')
        .addColumn('created_at', sql`timestamptz(3)`, (column) => column.notNull())
        .addColumn('updated_at', sql`timestamptz(3)`, (column) => column.notNull())
        .addColumn('insertion_order', 'bigint', (column) => column.notNull().generatedAlwaysAsIdentity())
        // The target of the composite keys below: they keep every link inside one conversation.
        .addUniqueConstraint('messages_conversation_id_id_key', ['conversation_id', 'id'])
        // A parent in the same conversation; deleting a message deletes its whole subtree.
        .addForeignKeyConstraint(
          'messages_parent_fkey',
          ['conversation_id', 'parent_id'],
          'messages',
          ['conversation_id', 'id'],
          (constraint) => constraint.onDelete('cascade'),
        )
        .execute();

      // The active leaf must be one of the conversation's own messages. No ON DELETE action: the
      // store moves the leaf before deleting, so a violation here means a bug, not a silent reset.
      await database.schema
        .alterTable('conversations')
        .addForeignKeyConstraint('conversations_active_leaf_fkey', ['id', 'active_leaf_id'], 'messages', [
          'conversation_id',
          'id',
        ])
        .execute();

      // Opening a conversation: all its messages in insertion order, straight off the index.
      await database.schema
        .createIndex('messages_conversation_order_index')
        .on('messages')
        .columns(['conversation_id', 'insertion_order'])
        .execute();
      // Cascading deletes find children by parent.
      await database.schema
        .createIndex('messages_parent_index')
        .on('messages')
        .columns(['conversation_id', 'parent_id'])
        .execute();
      // The sidebar: newest first, keyset pagination on updated_at.
      await database.schema
        .createIndex('conversations_updated_at_index')
        .on('conversations')
        .expression(sql`updated_at desc, id desc`)
        .execute();
    },
  },

  // An answer's prompt repeats most of the conversation before it, so a 5,000-message conversation
  // carried ~40 MB of prompts inside its generation records, and opening it read them all. The
  // prompts move to a table of their own, read only when one message is asked for (or exported).
  '0002-answer-prompts-table': {
    async up(database: Kysely<unknown>) {
      await database.schema
        .createTable('answer_prompts')
        .addColumn('message_id', 'uuid', (column) => column.primaryKey().references('messages.id').onDelete('cascade'))
        .addColumn('prompt', 'jsonb', (column) => column.notNull())
        .execute();
      await sql`
        insert into answer_prompts (message_id, prompt)
        select id, generation -> 'prompt' from messages where generation -> 'prompt' is not null
      `.execute(database);
      await sql`update messages set generation = generation - 'prompt' where generation -> 'prompt' is not null`.execute(
        database,
      );
    },
  },

  // When the server generating an answer last saved it, on the database's clock: see cut-answers.ts.
  '0003-answer-alive-at': {
    async up(database: Kysely<unknown>) {
      await database.schema.alterTable('messages').addColumn('answer_alive_at', sql`timestamptz(3)`).execute();
    },
  },

  // Links to a read-only copy of one branch (POST /api/conversations/:id/share). The token is kept
  // as it is, not hashed: it only unlocks a copy of text this same database holds in the clear,
  // and the owner must be able to copy the link again later. One share per conversation; it goes
  // when the conversation goes.
  '0020-conversation-shares': {
    async up(database: Kysely<unknown>) {
      await database.schema
        .createTable('conversation_shares')
        .addColumn('token', 'text', (column) => column.primaryKey())
        .addColumn('conversation_id', 'uuid', (column) =>
          column.notNull().unique().references('conversations.id').onDelete('cascade'),
        )
        .addColumn('title', 'text', (column) => column.notNull())
        .addColumn('messages', 'jsonb', (column) => column.notNull())
        .addColumn('shared_at', sql`timestamptz(3)`, (column) => column.notNull())
        .execute();
    },
  },
};

export const latestMigrationName = Object.keys(migrations).sort().at(-1)!;
