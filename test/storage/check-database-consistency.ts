/**
 * What must hold in anychat's tables whatever moment a crash struck, checked with plain SQL:
 * every message in an existing conversation, every parent and active leaf an existing message of
 * the same conversation, every message's parent chain reaching a first message (no cycles), every
 * answer prompt belonging to a message and every answer having its prompt, and the schema being
 * exactly what the recorded migrations say (no migration half applied, none applied unrecorded).
 * The foreign keys forbid most of these; the point is to prove nothing got past them.
 */
import { migrations } from '../../src/storage/sql/migrations.ts';
import { MIGRATIONS_TABLE } from '../../src/storage/sql/migrate-to-latest.ts';
import type { DatabaseReader } from './database-reader.ts';

export interface DatabaseConsistency {
  /** Migration names recorded as applied, in order. */
  appliedMigrations: string[];
  /** One line per kind of inconsistency found, with a few example ids; empty when consistent. */
  problems: string[];
  conversations: number;
  messages: number;
  /** Rows of answer_prompts, or answers carrying their prompt before migration 0002. */
  answerPrompts: number;
}

/**
 * A query true exactly when a migration's change is in the schema. A migration added to
 * migrations.ts must be added here, or every check fails saying so.
 */
const MIGRATION_APPLIED_TEST: Record<string, string> = {
  '0001-conversations-and-messages': `select to_regclass('conversations') is not null and to_regclass('messages') is not null as applied`,
  '0002-answer-prompts-table': `select to_regclass('answer_prompts') is not null as applied`,
  '0003-answer-alive-at': `select exists (select from information_schema.columns where table_schema = current_schema()
    and table_name = 'messages' and column_name = 'answer_alive_at') as applied`,
  '0010-accounts': `select to_regclass('accounts') is not null as applied`,
  '0020-conversation-shares': `select to_regclass('conversation_shares') is not null as applied`,
};

/** Each query lists offending ids; the label says what they break. */
const TREE_CHECKS: Array<{ label: string; sql: string }> = [
  {
    label: 'messages whose conversation does not exist',
    sql: `select m.id from messages m where not exists (select from conversations c where c.id = m.conversation_id)`,
  },
  {
    label: 'messages whose parent is not a message of the same conversation',
    sql: `select m.id from messages m where m.parent_id is not null and not exists
      (select from messages p where p.id = m.parent_id and p.conversation_id = m.conversation_id)`,
  },
  {
    label: 'conversations whose active leaf is not one of their messages',
    sql: `select c.id from conversations c where c.active_leaf_id is not null and not exists
      (select from messages m where m.id = c.active_leaf_id and m.conversation_id = c.id)`,
  },
  {
    label: 'messages whose parent chain never reaches a first message',
    sql: `with recursive rooted(id) as (
        select id from messages where parent_id is null
        union select m.id from messages m join rooted on m.parent_id = rooted.id)
      select m.id from messages m where not exists (select from rooted where rooted.id = m.id)`,
  },
];

const PROMPT_CHECKS_AFTER_0002: Array<{ label: string; sql: string }> = [
  {
    label: 'answer prompts whose message does not exist',
    sql: `select p.message_id as id from answer_prompts p where not exists (select from messages m where m.id = p.message_id)`,
  },
  {
    label: 'answers without their prompt',
    sql: `select m.id from messages m where m.generation is not null and not exists (select from answer_prompts p where p.message_id = m.id)`,
  },
  {
    label: 'generation records still holding their prompt after it moved to answer_prompts',
    sql: `select id from messages where generation ? 'prompt'`,
  },
];

export async function checkDatabaseConsistency(reader: DatabaseReader): Promise<DatabaseConsistency> {
  const problems: string[] = [];
  const appliedMigrations = await recordedMigrations(reader);
  for (const name of Object.keys(migrations).sort()) {
    const test = MIGRATION_APPLIED_TEST[name];
    if (!test) {
      problems.push(`migration ${name} is unknown to check-database-consistency.ts: add what it changes`);
      continue;
    }
    const [row] = await reader.query<{ applied: boolean }>(test);
    const recorded = appliedMigrations.includes(name);
    if (row?.applied !== recorded) {
      problems.push(`migration ${name} is ${recorded ? 'recorded but its change is missing' : 'not recorded but its change is there'}: half applied`);
    }
  }
  if (!appliedMigrations.includes('0001-conversations-and-messages')) {
    return { appliedMigrations, problems, conversations: 0, messages: 0, answerPrompts: 0 };
  }

  const promptsMoved = appliedMigrations.includes('0002-answer-prompts-table');
  for (const check of [...TREE_CHECKS, ...(promptsMoved ? PROMPT_CHECKS_AFTER_0002 : [])]) {
    const rows = await reader.query<{ id: string }>(`${check.sql} limit 1000`);
    if (rows.length > 0) {
      problems.push(`${rows.length}${rows.length === 1000 ? '+' : ''} ${check.label}: ${rows.slice(0, 3).map((row) => row.id).join(', ')}`);
    }
  }
  const [counts] = await reader.query<{ conversations: number; messages: number; prompts: number }>(
    `select (select count(*)::int from conversations) as conversations, (select count(*)::int from messages) as messages,
      ${promptsMoved ? '(select count(*)::int from answer_prompts)' : `(select count(*)::int from messages where generation ? 'prompt')`} as prompts`,
  );
  return {
    appliedMigrations,
    problems,
    conversations: counts?.conversations ?? 0,
    messages: counts?.messages ?? 0,
    answerPrompts: counts?.prompts ?? 0,
  };
}

async function recordedMigrations(reader: DatabaseReader): Promise<string[]> {
  const [table] = await reader.query<{ name: string | null }>(`select to_regclass($1)::text as name`, [MIGRATIONS_TABLE]);
  if (!table?.name) return [];
  const rows = await reader.query<{ name: string }>(`select name from ${MIGRATIONS_TABLE} order by name`);
  return rows.map((row) => row.name);
}
