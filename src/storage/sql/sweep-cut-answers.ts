import { sql, type Kysely } from 'kysely';
import type { Database } from './database-schema.ts';

/**
 * Marks every answer still `streaming` as `disconnected`: for PGlite at start-up, where the data
 * directory lock guarantees no other process is generating, so any such answer was cut by a crash.
 * (PostgreSQL servers cannot know that of each other; they rely on the read-time rule in
 * src/storage/cut-answers.ts.) Returns how many were found.
 */
export async function sweepCutAnswers(database: Kysely<Database>): Promise<number> {
  const result = await database
    .updateTable('messages')
    .set({ generation: sql`jsonb_set(generation, '{status}', '"disconnected"')` })
    .where(sql`generation ->> 'status'`, '=', 'streaming')
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}
