/**
 * The PostgreSQL server the tests use: ANYCHAT_TEST_DATABASE_URL when set, otherwise one started
 * by scripts/postgres/start-test-postgres.sh (which installs PostgreSQL on Debian when missing).
 * Never skips: without a server the PostgreSQL tests fail and say how to get one.
 * Each suite works in a schema of its own, so suites (and leftovers) never see each other's rows.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import type { ConversationStore } from '../../src/storage/conversation-store.ts';
import { createPostgresConversationStore } from '../../src/storage/postgres/create-postgres-conversation-store.ts';

const startScript = fileURLToPath(new URL('../../scripts/postgres/start-test-postgres.sh', import.meta.url));

let databaseUrl: Promise<string> | undefined;

export function testDatabaseUrl(): Promise<string> {
  databaseUrl ??= findOrStartServer();
  return databaseUrl;
}

async function findOrStartServer(): Promise<string> {
  const fromEnvironment = process.env.ANYCHAT_TEST_DATABASE_URL;
  if (fromEnvironment) return fromEnvironment;
  try {
    const { stdout } = await promisify(execFile)(startScript, { timeout: 600_000 });
    const url = /^export ANYCHAT_TEST_DATABASE_URL=(\S+)$/m.exec(stdout)?.[1];
    if (!url) throw new Error(`the script printed no ANYCHAT_TEST_DATABASE_URL line:\n${stdout}`);
    process.env.ANYCHAT_TEST_DATABASE_URL = url;
    return url;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(
      'These tests need PostgreSQL. Set ANYCHAT_TEST_DATABASE_URL to a database they may create schemas in, ' +
        `or run ${startScript} (as root on Debian it installs PostgreSQL). Starting it failed: ` +
        `${(error as Error).message}\n${stderr}`,
      { cause: error },
    );
  }
}

/** A PostgreSQL schema for one suite; `drop()` removes it and everything in it. */
export async function createTestSchema(): Promise<{ databaseUrl: string; schema: string; drop(): Promise<void> }> {
  const url = await testDatabaseUrl();
  const schema = `test_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  return {
    databaseUrl: url,
    schema,
    async drop() {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`drop schema if exists ${pg.escapeIdentifier(schema)} cascade`);
      } finally {
        await client.end();
      }
    },
  };
}

export function openPostgresStore(schema: { databaseUrl: string; schema: string }): Promise<ConversationStore> {
  return createPostgresConversationStore({ databaseUrl: schema.databaseUrl, schema: schema.schema, maxConnections: 5 });
}
