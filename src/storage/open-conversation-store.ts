import { z } from 'zod';
import type { ConversationStore } from './conversation-store.ts';
import { defaultDataDirectory } from './default-data-directory.ts';
import { createPgliteConversationStore, IN_MEMORY, pgliteDirectory } from './pglite/create-pglite-conversation-store.ts';
import { describeDatabaseUrl } from './postgres/describe-database-url.ts';
import { StorageConfigError, StorageOpenError } from './storage-errors.ts';

export interface StorageConfig {
  /** anychat's data directory (`--data-dir`), or `memory://`; used when DATABASE_URL is unset. */
  dataDir?: string;
  /** Where DATABASE_URL is read from; default process.env. */
  environment?: NodeJS.ProcessEnv;
}

export { StorageConfigError, StorageOpenError };

const EXAMPLE_URL = 'postgres://anychat:password@localhost:5432/anychat';

// The message never repeats the value: a mistyped URL still holds a password.
const databaseUrlSchema = z
  .string()
  .trim()
  .refine((value) => URL.canParse(value), {
    error: `DATABASE_URL is not a URL; expected one like ${EXAMPLE_URL}`,
    abort: true,
  })
  .refine((value) => ['postgres:', 'postgresql:'].includes(new URL(value).protocol), {
    error: (issue) =>
      `DATABASE_URL must start with postgres:// or postgresql:// (like ${EXAMPLE_URL}), ` +
      `got a ${new URL(String(issue.input).trim()).protocol}// URL`,
    abort: true,
  })
  .refine((value) => new URL(value).hostname !== '', {
    error: `DATABASE_URL names no host; expected one like ${EXAMPLE_URL}`,
  });

const storageEnvironmentSchema = z.object({
  // Empty counts as unset: `DATABASE_URL=` in a .env file means "not configured".
  DATABASE_URL: z
    .string()
    .optional()
    .transform((value) => (value?.trim() ? value : undefined))
    .pipe(databaseUrlSchema.optional()),
});

export type StorageChoice = { kind: 'postgres'; databaseUrl: string } | { kind: 'pglite'; dataDir: string };

/** PostgreSQL when DATABASE_URL is set (validated), PGlite in the data directory otherwise. */
export function chooseStorage(config: StorageConfig = {}): StorageChoice {
  const parsed = storageEnvironmentSchema.safeParse(config.environment ?? process.env);
  if (!parsed.success) throw new StorageConfigError(parsed.error.issues.map((issue) => issue.message).join('; '));
  if (parsed.data.DATABASE_URL) return { kind: 'postgres', databaseUrl: parsed.data.DATABASE_URL };
  return { kind: 'pglite', dataDir: config.dataDir ?? defaultDataDirectory(config.environment) };
}

/** A line for the start-up log: where conversations are kept, without the password. */
export function describeStorage(choice: StorageChoice): string {
  if (choice.kind === 'postgres') return `PostgreSQL at ${describeDatabaseUrl(choice.databaseUrl)}`;
  if (choice.dataDir === IN_MEMORY) return 'PGlite in memory (lost on exit)';
  return `PGlite in ${pgliteDirectory(choice.dataDir)}`;
}

/** What the CLI calls: opens the configured store, migrating it to the current schema. */
export async function openConversationStore(config: StorageConfig = {}): Promise<ConversationStore> {
  const choice = chooseStorage(config);
  try {
    if (choice.kind === 'pglite') return await createPgliteConversationStore({ dataDir: choice.dataDir });
    // Loaded only when chosen: the PostgreSQL driver is start-up time a PGlite user never needs.
    const { createPostgresConversationStore } = await import('./postgres/create-postgres-conversation-store.ts');
    return await createPostgresConversationStore({ databaseUrl: choice.databaseUrl });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    // PGlite's own messages ("PGlite failed to initialize properly") name neither the folder nor a way out.
    const advice =
      choice.kind === 'pglite' && choice.dataDir !== IN_MEMORY && !reason.includes(choice.dataDir)
        ? `${reason}. The folder ${pgliteDirectory(choice.dataDir)} holds your conversations: if it is damaged, move it aside (keep it) and start again, or pass --data-dir to use another folder`
        : reason;
    throw new StorageOpenError(`could not open the conversation database: ${advice}`, { cause: error });
  }
}
