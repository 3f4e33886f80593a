import assert from 'node:assert/strict';
import { homedir } from 'node:os';
import { describe, it } from 'node:test';
import { defaultDataDirectory } from '../../src/storage/default-data-directory.ts';
import { chooseStorage, describeStorage, StorageConfigError } from '../../src/storage/open-conversation-store.ts';

describe('choosing storage from the environment', () => {
  it('uses PostgreSQL when DATABASE_URL is set, PGlite in the data directory otherwise', () => {
    assert.deepEqual(chooseStorage({ environment: { DATABASE_URL: 'postgres://anychat@db.internal:5432/chats' } }), {
      kind: 'postgres',
      databaseUrl: 'postgres://anychat@db.internal:5432/chats',
    });
    assert.equal(chooseStorage({ environment: { DATABASE_URL: 'postgresql://localhost/chats' } }).kind, 'postgres');
    assert.deepEqual(chooseStorage({ dataDir: '/srv/anychat', environment: {} }), { kind: 'pglite', dataDir: '/srv/anychat' });
    assert.deepEqual(chooseStorage({ dataDir: '/srv/anychat', environment: { DATABASE_URL: '  ' } }), {
      kind: 'pglite',
      dataDir: '/srv/anychat',
    });
  });

  it('explains a wrong DATABASE_URL without repeating its password', () => {
    const cases: Array<[string, RegExp]> = [
      ['mysql://root:hunter2@localhost/chats', /DATABASE_URL must start with postgres:\/\/ or postgresql:\/\/ .*got a mysql:\/\/ URL/],
      ['hunter2@localhost', /DATABASE_URL is not a URL; expected one like postgres:\/\//],
      ['localhost:5432', /got a localhost:\/\/ URL/],
      ['postgres://', /DATABASE_URL names no host/],
    ];
    for (const [value, expected] of cases) {
      assert.throws(
        () => chooseStorage({ environment: { DATABASE_URL: value } }),
        (error: unknown) => {
          assert.ok(error instanceof StorageConfigError);
          assert.match(error.message, expected);
          assert.doesNotMatch(error.message, /hunter2/);
          return true;
        },
      );
    }
  });

  it('describes where conversations are kept, hiding the password', () => {
    assert.equal(
      describeStorage({ kind: 'postgres', databaseUrl: 'postgres://anychat:hunter2@db:5432/chats' }),
      'PostgreSQL at postgres://anychat:***@db:5432/chats',
    );
    assert.equal(describeStorage({ kind: 'pglite', dataDir: '/srv/anychat' }), 'PGlite in /srv/anychat/pglite');
    assert.equal(describeStorage({ kind: 'pglite', dataDir: 'memory://' }), 'PGlite in memory (lost on exit)');
  });

  it('defaults the data directory to XDG_DATA_HOME, else ~/.local/share', () => {
    assert.equal(defaultDataDirectory({ XDG_DATA_HOME: '/data' }), '/data/anychat');
    assert.equal(defaultDataDirectory({ XDG_DATA_HOME: 'relative/ignored' }), `${homedir()}/.local/share/anychat`);
    assert.equal(defaultDataDirectory({}), `${homedir()}/.local/share/anychat`);
  });
});
