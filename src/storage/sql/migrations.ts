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

  // Accounts (issue 16): local and OpenID Connect accounts, their sessions and personal tokens,
  // wrong-password throttles and usage, all in the database so every server sharing it agrees.
  // Conversations and messages get an owner; rows from before (auth none or key) keep owner null
  // until `serve --auth accounts` gives them to the first admin (claimUnownedConversations).
  '0010-accounts': {
    async up(database: Kysely<unknown>) {
      await database.schema
        .createTable('accounts')
        .addColumn('id', 'uuid', (column) => column.primaryKey())
        .addColumn('username', 'text', (column) => column.notNull())
        // Null for accounts that sign in only through OpenID Connect.
        .addColumn('password_hash', 'text')
        .addColumn('is_admin', 'boolean', (column) => column.notNull().defaultTo(false))
        .addColumn('oidc_issuer', 'text')
        .addColumn('oidc_subject', 'text')
        .addColumn('email', 'text')
        .addColumn('display_name', 'text')
        .addColumn('created_at', sql`timestamptz(3)`, (column) => column.notNull())
        .addUniqueConstraint('accounts_oidc_identity_key', ['oidc_issuer', 'oidc_subject'])
        .execute();
      // Names are unique whatever their case: "Alice" and "alice" are one person to a reader.
      await sql`create unique index accounts_username_key on accounts (lower(username))`.execute(database);

      // Sessions and personal tokens: an id to find the row, and only a hash of the secret part.
      await database.schema
        .createTable('account_sessions')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('account_id', 'uuid', (column) => column.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('secret_hash', 'text', (column) => column.notNull())
        .addColumn('created_at', sql`timestamptz(3)`, (column) => column.notNull())
        .addColumn('expires_at', sql`timestamptz(3)`, (column) => column.notNull())
        .execute();
      await database.schema.createIndex('account_sessions_account_index').on('account_sessions').column('account_id').execute();
      await database.schema
        .createTable('account_tokens')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('account_id', 'uuid', (column) => column.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('label', 'text', (column) => column.notNull())
        .addColumn('secret_hash', 'text', (column) => column.notNull())
        .addColumn('created_at', sql`timestamptz(3)`, (column) => column.notNull())
        .addColumn('last_used_at', sql`timestamptz(3)`)
        .execute();
      await database.schema.createIndex('account_tokens_account_index').on('account_tokens').column('account_id').execute();

      // A token bucket per account name and per client address (login-throttle.ts).
      await database.schema
        .createTable('login_throttles')
        .addColumn('key', 'text', (column) => column.primaryKey())
        .addColumn('tokens', 'double precision', (column) => column.notNull())
        .addColumn('updated_at_ms', 'bigint', (column) => column.notNull())
        .execute();

      await database.schema
        .createTable('account_usage')
        .addColumn('account_id', 'uuid', (column) => column.primaryKey().references('accounts.id').onDelete('cascade'))
        .addColumn('requests', 'bigint', (column) => column.notNull().defaultTo(0))
        .addColumn('prompt_tokens', 'bigint', (column) => column.notNull().defaultTo(0))
        .addColumn('generated_tokens', 'bigint', (column) => column.notNull().defaultTo(0))
        .execute();

      // Removing an account removes its conversations.
      await database.schema
        .alterTable('conversations')
        .addColumn('owner_id', 'uuid', (column) => column.references('accounts.id').onDelete('cascade'))
        .execute();
      await database.schema.alterTable('conversations').addUniqueConstraint('conversations_id_owner_key', ['id', 'owner_id']).execute();
      await database.schema.alterTable('messages').addColumn('owner_id', 'uuid').execute();
      // A message's owner is its conversation's: the database keeps the two equal, so a query
      // scoped by messages.owner_id can never reach another account's conversation.
      await database.schema
        .alterTable('messages')
        .addForeignKeyConstraint('messages_owner_fkey', ['conversation_id', 'owner_id'], 'conversations', ['id', 'owner_id'])
        .onUpdate('cascade')
        .onDelete('cascade')
        .execute();
      // The sidebar of one account: its newest conversations first.
      await database.schema
        .createIndex('conversations_owner_updated_at_index')
        .on('conversations')
        .expression(sql`owner_id, updated_at desc, id desc`)
        .execute();
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
