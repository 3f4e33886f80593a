/**
 * Schema versions on both databases: migrations apply once, data survives reopening, and a
 * database migrated by a newer anychat is refused with a message naming both versions.
 * Also PGlite's data directory lock, which keeps two processes from corrupting one directory.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, Migrator, PostgresDialect } from 'kysely';
import pg from 'pg';
import { postgresConnectionConfig } from '../../src/storage/postgres/postgres-connection-config.ts';
import { createPgliteConversationStore, pgliteDirectory } from '../../src/storage/pglite/create-pglite-conversation-store.ts';
import { DatabaseNewerThanCodeError, MIGRATIONS_TABLE } from '../../src/storage/sql/migrate-to-latest.ts';
import { latestMigrationName, migrations } from '../../src/storage/sql/migrations.ts';
import { sampleGeneration } from './fixtures.ts';
import { freshDataDirectory } from './fresh-pglite.ts';
import { createTestSchema, openPostgresStore } from './test-postgres.ts';

const ALL_MIGRATIONS = Object.keys(migrations).sort();

const FUTURE_MIGRATION = '9999-from-the-future';

function assertNewerRefused(error: unknown): true {
  assert.ok(error instanceof DatabaseNewerThanCodeError, String(error));
  assert.match(error.message, new RegExp(`schema version ${FUTURE_MIGRATION}`));
  assert.match(error.message, new RegExp(`knows versions up to ${latestMigrationName}`));
  assert.match(error.message, /Upgrade anychat/);
  return true;
}

describe('PGlite data directory', () => {
  const directories: string[] = [];
  after(async () => {
    for (const directory of directories) await rm(directory, { recursive: true, force: true });
  });

  it('keeps conversations across restarts, locks the directory while open, and refuses a newer schema', async () => {
    // A new database made and migrated by createPgliteConversationStore, once per machine (the
    // first start itself is the next test's): here it is reopened, and must not migrate again.
    const dataDir = await freshDataDirectory();
    directories.push(dataDir);

    const first = await createPgliteConversationStore({ dataDir });
    const conversation = await first.createConversation({ title: 'Survives' });
    await assert.rejects(createPgliteConversationStore({ dataDir }), /in use by this process already/);
    await first.close();

    // A lock left by a process that died (kill -9) does not keep the next start out.
    const deadPid = spawnSync(process.execPath, ['-e', '']).pid!;
    await writeFile(join(dataDir, 'anychat.lock'), String(deadPid));
    const reopened = await createPgliteConversationStore({ dataDir });
    assert.equal((await reopened.getConversation(conversation.id))?.title, 'Survives');
    assert.equal((await readFile(join(dataDir, 'anychat.lock'), 'utf8')).split('\n')[0], String(process.pid));
    await reopened.close();

    const raw = new PGlite(pgliteDirectory(dataDir));
    const applied = await raw.query<{ name: string }>(`select name from ${MIGRATIONS_TABLE}`);
    assert.deepEqual(
      applied.rows.map((row) => row.name),
      ALL_MIGRATIONS,
      'each migration applied exactly once',
    );
    await raw.query(`insert into ${MIGRATIONS_TABLE} (name, timestamp) values ($1, now())`, [FUTURE_MIGRATION]);
    await raw.close();

    await assert.rejects(createPgliteConversationStore({ dataDir }), assertNewerRefused);
    await assert.rejects(readFile(join(dataDir, 'anychat.lock')), /ENOENT/, 'a refused start releases the lock');
  });
});

describe('PGlite first start', () => {
  it('creates the database whole even over what a start killed while creating it left behind', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'anychat-pglite-'));
    try {
      // A start killed while PGlite wrote the new database beside its place, and one of an older
      // anychat, which wrote in place, killed before PG_VERSION: neither is a database.
      await mkdir(join(dataDir, 'pglite.creating', 'global'), { recursive: true });
      await writeFile(join(dataDir, 'pglite.creating', 'PG_VERSION'), '17\n');
      await mkdir(join(dataDir, 'pglite', 'global'), { recursive: true });
      await writeFile(join(dataDir, 'pglite', 'global', '1213'), 'half written');

      const store = await createPgliteConversationStore({ dataDir });
      const conversation = await store.createConversation({ title: 'First' });
      await store.close();
      assert.deepEqual((await readdir(dataDir)).sort(), ['pglite'], 'nothing left beside the database');
      const reopened = await createPgliteConversationStore({ dataDir });
      assert.equal((await reopened.getConversation(conversation.id))?.title, 'First');
      await reopened.close();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('PostgreSQL schema versions', () => {
  it('migrates once for many servers, and refuses a newer schema', async () => {
    const schema = await createTestSchema();
    try {
      // Servers starting together: the migrator's advisory lock lets exactly one migrate.
      const stores = await Promise.all([openPostgresStore(schema), openPostgresStore(schema), openPostgresStore(schema)]);
      const conversation = await stores[0]!.createConversation({ title: 'Shared' });
      assert.equal((await stores[2]!.getConversation(conversation.id))?.title, 'Shared');
      await Promise.all(stores.map((store) => store.close()));

      const client = new pg.Client({ connectionString: schema.databaseUrl });
      await client.connect();
      try {
        const table = `${pg.escapeIdentifier(schema.schema)}.${MIGRATIONS_TABLE}`;
        const applied = await client.query<{ name: string }>(`select name from ${table}`);
        assert.deepEqual(
          applied.rows.map((row) => row.name).sort(),
          ALL_MIGRATIONS,
        );
        await client.query(`insert into ${table} (name, timestamp) values ($1, now())`, [FUTURE_MIGRATION]);
      } finally {
        await client.end();
      }
      await assert.rejects(openPostgresStore(schema), assertNewerRefused);
    } finally {
      await schema.drop();
    }
  });

  it('sets up its own schema while another schema of the database already holds anychat tables', async () => {
    // The first anychat's tables, with the migration lock table its migrator made.
    const first = await createTestSchema();
    const second = await createTestSchema();
    try {
      await (await openPostgresStore(first)).close();
      // Kysely found the other schema's tables by name, skipped creating its own and failed:
      // 'relation "anychat_migration_lock" does not exist'.
      const store = await openPostgresStore(second);
      try {
        const conversation = await store.createConversation({ title: 'In the second schema' });
        assert.equal((await store.getConversation(conversation.id))?.title, 'In the second schema');
      } finally {
        await store.close();
      }
    } finally {
      await Promise.all([first.drop(), second.drop()]);
    }
  });
});

describe('moving prompts out of the generation records (0002)', () => {
  it('keeps every prompt of a database written before, readable one message at a time', async () => {
    const schema = await createTestSchema();
    const client = new pg.Client({ connectionString: schema.databaseUrl });
    await client.connect();
    try {
      const database = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: new pg.Pool(postgresConnectionConfig(schema.databaseUrl, schema.schema)) }) });
      await client.query(`create schema ${pg.escapeIdentifier(schema.schema)}`);
      const migrator = new Migrator({
        db: database,
        // Only in this suite's schema: Kysely otherwise finds its tables in any schema of the database.
        migrationTableSchema: schema.schema,
        provider: { getMigrations: async () => migrations },
        migrationTableName: MIGRATIONS_TABLE,
        migrationLockTableName: 'anychat_migration_lock',
      });
      assert.equal((await migrator.migrateTo('0001-conversations-and-messages')).error, undefined);
      const conversationId = randomUUID();
      const messageId = randomUUID();
      const generation = sampleGeneration();
      const table = (name: string) => `${pg.escapeIdentifier(schema.schema)}.${name}`;
      await client.query(`insert into ${table('conversations')} (id, title, created_at, updated_at) values ($1, 'Old', now(), now())`, [conversationId]);
      await client.query(
        `insert into ${table('messages')} (id, conversation_id, role, content, generation, created_at, updated_at) values ($1, $2, 'assistant', 'Hi', $3, now(), now())`,
        [messageId, conversationId, JSON.stringify(generation)],
      );
      await database.destroy();

      const store = await openPostgresStore(schema);
      try {
        assert.deepEqual((await store.getMessage(messageId))?.generation, generation);
        assert.equal((await store.listMessages(conversationId))[0]?.generation?.prompt, null);
        const stored = await client.query<{ generation: Record<string, unknown> }>(`select generation from ${table('messages')}`);
        assert.equal('prompt' in stored.rows[0]!.generation, false, 'the record no longer carries the prompt');
      } finally {
        await store.close();
      }
    } finally {
      await client.end();
      await schema.drop();
    }
  });
});
