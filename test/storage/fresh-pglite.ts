/**
 * New PGlite databases for tests, copied from one made once per machine.
 *
 * A new PGlite database runs initdb in WebAssembly: about 6 s of CPU, and `memory://` runs it on
 * every open. Copying a folder where that was done once (and every migration applied) and opening
 * the copy costs about 1 s, loading its dump into memory less: the same database, as PostgreSQL's
 * own template databases give. Tests
 * of what a first start does (initdb, migrations, a start killed while creating the database)
 * open their databases the real way instead.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repositoryRoot } from '../../scripts/test-models/repository-root.ts';
import type { ConversationStore } from '../../src/storage/conversation-store.ts';

/**
 * Imported when needed: through tsx, the store's modules cost a test file about 1.5 s of CPU to
 * load, which a file that only hands the folder to a spawned `anychat serve` never needs once
 * the template exists.
 */
const loadPgliteStore = () => import('../../src/storage/pglite/create-pglite-conversation-store.ts');

/** What the template's files depend on: PGlite's version and the migrations' code. */
function templateKey(): string {
  const hash = createHash('sha256');
  hash.update(JSON.parse(readFileSync(join(repositoryRoot, 'node_modules', '@electric-sql', 'pglite', 'package.json'), 'utf8')).version);
  hash.update(readFileSync(join(repositoryRoot, 'src', 'storage', 'sql', 'migrations.ts')));
  return hash.digest('hex').slice(0, 16);
}

let template: Promise<string> | undefined;

/** The template data directory, made when missing; test files running side by side may both make one, and one rename wins. */
function templateDirectory(): Promise<string> {
  template ??= (async () => {
    const directory = join(repositoryRoot, '.cache', 'pglite-template', templateKey());
    if (existsSync(directory)) return directory;
    await mkdir(join(directory, '..'), { recursive: true });
    const building = await mkdtemp(`${directory}.building-`);
    const { createPgliteConversationStore } = await loadPgliteStore();
    await (await createPgliteConversationStore({ dataDir: building })).close();
    try {
      await rename(building, directory);
    } catch (error) {
      // Another test file finished its template first: use that one.
      if (!existsSync(directory)) throw error;
      await rm(building, { recursive: true, force: true });
    }
    return directory;
  })();
  return template;
}

const madeHere: string[] = [];
// Removed when the test process ends, whatever the tests did with them.
process.once('exit', () => {
  for (const directory of madeHere) rmSync(directory, { recursive: true, force: true });
});

/** A new anychat data directory holding a new, migrated PGlite database; for `serve --data-dir`. */
export async function freshDataDirectory(): Promise<string> {
  const source = await templateDirectory();
  const directory = await mkdtemp(join(tmpdir(), 'anychat-test-data-'));
  madeHere.push(directory);
  await cp(source, directory, { recursive: true });
  return directory;
}

let templateDump: Promise<Blob> | undefined;

/** The template database as PGlite's dumpDataDir() writes it, made next to the template when missing. */
function templateDumpFile(): Promise<Blob> {
  templateDump ??= (async () => {
    const file = `${await templateDirectory()}.tar`;
    if (!existsSync(file)) {
      // Dumped from a copy: opening a database writes to its folder, and other test files may be copying the template.
      const copy = await freshDataDirectory();
      const { PGlite } = await import('@electric-sql/pglite');
      const pglite = await PGlite.create({ dataDir: join(copy, 'pglite') });
      const dump = await pglite.dumpDataDir('none');
      await pglite.close();
      const writing = `${file}.writing-${process.pid}`;
      await writeFile(writing, Buffer.from(await dump.arrayBuffer()));
      await rename(writing, file);
    }
    return new Blob([await readFile(file)]);
  })();
  return templateDump;
}

/**
 * A store on a new PGlite database in memory, as `createPgliteConversationStore({ dataDir:
 * 'memory://' })` gives, started from the template's dump: about 0.8 s of CPU instead of 5 s, and
 * memory's speed for every query after (a copied folder's database is slower, for suites that send
 * thousands of requests).
 */
export async function openFreshPgliteStore(): Promise<ConversationStore> {
  const initialData = await templateDumpFile();
  const { createPgliteConversationStore, IN_MEMORY } = await loadPgliteStore();
  return createPgliteConversationStore({ dataDir: IN_MEMORY, initialData });
}
