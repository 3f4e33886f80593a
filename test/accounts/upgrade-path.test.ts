/**
 * The upgrade path and the `users` commands, through the real CLI on one PGlite data folder: a
 * conversation made under --auth key is Alice's (the first admin) once the server restarts with
 * --auth accounts, Bob (added before the first admin) does not see it, and a token printed by
 * `users token` works until `users revoke-token`, `users passwd` replaces the password and
 * `users remove` removes the account.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { runAnychat } from '../cli/run-anychat.ts';
import { startServe } from '../robustness/serve-process.ts';
import { freshDataDirectory } from '../storage/fresh-pglite.ts';
import { ALICE, BOB } from './test-accounts.ts';

describe('upgrade to --auth accounts, and anychat users', () => {
  let dataDir: string;
  const env = { ANYCHAT_BACKEND: 'echo' };

  before(async () => {
    // A copy of a new, migrated database (removed when the test process ends): what the first
    // start would have made, without its 6 s of initdb; what is tested here begins after it.
    dataDir = await freshDataDirectory();
  });

  it('gives conversations from before accounts to the first admin, and to no one else', async () => {
    const key = 'key-mode-key-123';
    const keyServer = await startServe(['--auth', 'key', '--auth-key', key, '--data-dir', dataDir], env);
    let conversationId: string;
    try {
      const created = await fetch(`${keyServer.baseUrl}/api/conversations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ title: 'made under key mode' }),
      });
      assert.equal(created.status, 201);
      conversationId = ((await created.json()) as { id: string }).id;
    } finally {
      await keyServer.stop();
    }

    // Bob first, so "first admin" is not simply "first account".
    assert.equal((await runAnychat(['users', 'add', BOB.username, '--data-dir', dataDir], { stdin: `${BOB.password}\n` })).code, 0);
    const added = await runAnychat(['users', 'add', ALICE.username, '--admin', '--data-dir', dataDir], { stdin: `${ALICE.password}\n` });
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stderr, /added alice \(admin\)/);
    const duplicate = await runAnychat(['users', 'add', 'ALICE', '--data-dir', dataDir], { stdin: 'another-password\n' });
    assert.equal(duplicate.code, 1);
    assert.match(duplicate.stderr, /already exists/);
    const short = await runAnychat(['users', 'add', 'carol', '--data-dir', dataDir], { stdin: 'short\n' });
    assert.equal(short.code, 2);
    assert.match(short.stderr, /at least 8 characters/);

    const made = await runAnychat(['users', 'token', BOB.username, '--label', 'ci', '--data-dir', dataDir]);
    assert.equal(made.code, 0, made.stderr);
    const token = made.stdout.trim();
    assert.match(token, /^anychat_pat_\S+$/, 'one line of stdout, the token alone');

    const server = await startServe(['--auth', 'accounts', '--data-dir', dataDir], env);
    try {
      assert.match(server.output.stderr, /1 conversation\(s\) from before accounts now belong to alice/);
      const login = await fetch(`${server.baseUrl}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ALICE) });
      assert.equal(login.status, 200);
      const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
      const hers = await fetch(`${server.baseUrl}/api/conversations/${conversationId}`, { headers: { cookie } });
      assert.equal(hers.status, 200);
      const asBob = await fetch(`${server.baseUrl}/api/conversations/${conversationId}`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(asBob.status, 404);
      const bobsList = (await (await fetch(`${server.baseUrl}/api/conversations`, { headers: { authorization: `Bearer ${token}` } })).json()) as { conversations: unknown[] };
      assert.deepEqual(bobsList.conversations, []);
    } finally {
      await server.stop();
    }

    const listed = await runAnychat(['users', 'list', '--data-dir', dataDir]);
    assert.match(listed.stdout, /^alice\s+yes\s+password\s+1\s/m);
    assert.match(listed.stdout, /^bob\s+no\s+password\s+0\s/m);
    const revoked = await runAnychat(['users', 'revoke-token', BOB.username, 'ci', '--data-dir', dataDir]);
    assert.equal(revoked.code, 0, revoked.stderr);
    const again = await runAnychat(['users', 'revoke-token', BOB.username, 'ci', '--data-dir', dataDir]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /no token with the id or label "ci"/);

    const newPassword = 'alice-new-password-2';
    const passwd = await runAnychat(['users', 'passwd', ALICE.username, '--data-dir', dataDir], { stdin: `${newPassword}\n` });
    assert.equal(passwd.code, 0, passwd.stderr);

    const restarted = await startServe(['--auth', 'accounts', '--data-dir', dataDir], env);
    const login = (password: string) =>
      fetch(`${restarted.baseUrl}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: ALICE.username, password }) });
    try {
      const refused = await fetch(`${restarted.baseUrl}/api/conversations`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(refused.status, 401, 'a revoked token is refused');
      assert.equal((await login(ALICE.password)).status, 401, 'the old password no longer works');
      assert.equal((await login(newPassword)).status, 200);
    } finally {
      await restarted.stop();
    }

    const removed = await runAnychat(['users', 'remove', BOB.username, '--data-dir', dataDir]);
    assert.equal(removed.code, 0, removed.stderr);
    assert.doesNotMatch((await runAnychat(['users', 'list', '--data-dir', dataDir])).stdout, /^bob\s/m);
  });

  it('refuses contradictory auth flags before starting', async () => {
    const keyless = await runAnychat(['serve', '--auth', 'key', '--data-dir', 'memory://']);
    assert.equal(keyless.code, 2);
    assert.match(keyless.stderr, /--auth key needs the key/);
    const mixed = await runAnychat(['serve', '--auth', 'accounts', '--auth-key', 'k', '--data-dir', 'memory://']);
    assert.equal(mixed.code, 2);
    assert.match(mixed.stderr, /drop --auth-key, or use --auth key/);
    const bad = await runAnychat(['serve', '--auth', 'everyone']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /none, key, accounts/);
  });
});
