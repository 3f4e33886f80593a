/**
 * Sharing over real HTTP (inject) on both databases: share, read as a stranger, refresh, revoke,
 * and every way a link could be used to write. The store's own conformance suite
 * (test/storage/conversation-store.case.ts) covers the snapshot's contents in depth.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { SharedConversation, ShareLink } from '../../chat/shared-conversation.ts';
import type { ConversationStore } from '../../storage/conversation-store.ts';
import { openFreshPgliteStore } from '../../../test/storage/fresh-pglite.ts';
import { createTestSchema, openPostgresStore } from '../../../test/storage/test-postgres.ts';
import { createTestApp, parseSse } from '../../../test/support/test-app.ts';

const serverKey = 'share-test-key-6d1e0b';
const withKey = { authorization: `Bearer ${serverKey}` };
const SHARE_PAGE_MARKER = '<title>Shared conversation test page</title>';

function describeSharing(name: string, openStore: () => Promise<{ store: ConversationStore; cleanUp(): Promise<void> }>) {
  describe(`sharing over HTTP: ${name}`, () => {
    let app: FastifyInstance;
    let cleanUp: () => Promise<void>;
    let webRoot: string;

    before(async () => {
      webRoot = await mkdtemp(join(tmpdir(), 'anychat-share-web-'));
      await mkdir(join(webRoot, 'share'));
      await writeFile(join(webRoot, 'share', 'index.html'), `<!doctype html>${SHARE_PAGE_MARKER}`);
      const opened = await openStore();
      cleanUp = async () => {
        await opened.store.close();
        await opened.cleanUp();
      };
      ({ app } = createTestApp({ store: opened.store, apiKey: serverKey, webRoot }));
    });
    after(async () => {
      await app?.close();
      await cleanUp?.();
      await rm(webRoot, { recursive: true, force: true });
    });

    async function conversationWith(...questions: string[]): Promise<string> {
      const created = await app.inject({ method: 'POST', url: '/api/conversations', headers: withKey, payload: { title: 'Savanna' } });
      const { id } = created.json() as { id: string };
      for (const question of questions) await ask(id, question);
      return id;
    }
    async function ask(conversationId: string, content: string) {
      const sent = await app.inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, headers: withKey, payload: { content } });
      assert.equal(sent.statusCode, 200, sent.body);
      assert.equal(parseSse(sent.body).at(-1)?.event, 'answer-finish');
    }
    const share = (id: string) => app.inject({ method: 'POST', url: `/api/conversations/${id}/share`, headers: withKey });
    const readShared = (token: string) => app.inject({ method: 'GET', url: `/api/shared/${token}` });

    it('shares the current branch: a link anyone can read without the key, marked noindex and never cached', async () => {
      const id = await conversationWith('Which animals live in the savanna?', 'And at night?');
      const shared = await share(id);
      assert.equal(shared.statusCode, 201, shared.body);
      const link = shared.json() as ShareLink;
      assert.match(link.token, /^[A-Za-z0-9_-]{24}$/);
      assert.equal(link.path, `/share/${link.token}`);
      assert.equal(link.url, `http://localhost:80/share/${link.token}`);
      assert.equal(link.messageCount, 4);

      const read = await readShared(link.token);
      assert.equal(read.statusCode, 200, read.body);
      assert.equal(read.headers['x-robots-tag'], 'noindex, nofollow, noarchive');
      assert.equal(read.headers['cache-control'], 'no-store');
      const snapshot = read.json() as SharedConversation;
      assert.equal(snapshot.title, 'Savanna');
      assert.deepEqual(
        snapshot.messages.map((message) => [message.role, message.content]),
        [
          ['user', 'Which animals live in the savanna?'],
          ['assistant', 'Which animals live in the savanna?'],
          ['user', 'And at night?'],
          ['assistant', 'And at night?'],
        ],
      );
      assert.deepEqual(Object.keys(snapshot.messages[1]!).sort(), ['content', 'modelId', 'reasoning', 'role'], 'no ids, prompts or records');

      const page = await app.inject({ method: 'GET', url: link.path });
      assert.equal(page.statusCode, 200);
      assert.ok(page.body.includes(SHARE_PAGE_MARKER));
      assert.match(String(page.headers['content-type']), /^text\/html/);
      assert.equal(page.headers['x-robots-tag'], 'noindex, nofollow, noarchive');
      assert.match(String(page.headers['content-security-policy']), /script-src 'self'/);

      // The owner reads the link back, and only with the key.
      const again = await app.inject({ method: 'GET', url: `/api/conversations/${id}/share`, headers: withKey });
      assert.deepEqual((again.json() as { share: ShareLink }).share, link);
      assert.equal((await app.inject({ method: 'GET', url: `/api/conversations/${id}/share` })).statusCode, 401);
      assert.equal((await app.inject({ method: 'POST', url: `/api/conversations/${id}/share` })).statusCode, 401);
      assert.equal((await app.inject({ method: 'DELETE', url: `/api/conversations/${id}/share` })).statusCode, 401);
    });

    it('is a snapshot: what is said after sharing is not in it until the owner shares again, under the same link', async () => {
      const id = await conversationWith('First question');
      const link = (await share(id)).json() as ShareLink;
      await ask(id, 'Second question');
      await app.inject({ method: 'PATCH', url: `/api/conversations/${id}`, headers: withKey, payload: { title: 'Renamed' } });
      const before = (await readShared(link.token)).json() as SharedConversation;
      assert.equal(before.title, 'Savanna');
      assert.equal(before.messages.length, 2);

      const refreshed = await share(id);
      assert.equal(refreshed.statusCode, 200, 'sharing again refreshes');
      assert.equal((refreshed.json() as ShareLink).token, link.token);
      const after = (await readShared(link.token)).json() as SharedConversation;
      assert.equal(after.title, 'Renamed');
      assert.equal(after.messages.length, 4);
    });

    it('revokes: the link and its page answer 404 at once, and a new share is a new link', async () => {
      const id = await conversationWith('Secret plans');
      const link = (await share(id)).json() as ShareLink;
      const revoked = await app.inject({ method: 'DELETE', url: `/api/conversations/${id}/share`, headers: withKey });
      assert.equal(revoked.statusCode, 204, revoked.body);

      const read = await readShared(link.token);
      assert.equal(read.statusCode, 404);
      assert.deepEqual(read.json(), {
        error: { code: 'not-found', message: 'this shared conversation does not exist, or its owner stopped sharing it' },
      });
      assert.equal(read.headers['x-robots-tag'], 'noindex, nofollow, noarchive');
      const page = await app.inject({ method: 'GET', url: link.path, headers: { accept: 'text/html' } });
      assert.equal(page.statusCode, 404);
      assert.ok(page.body.includes(SHARE_PAGE_MARKER), 'a browser gets the page, which says the link is gone');
      assert.equal(page.headers['x-robots-tag'], 'noindex, nofollow, noarchive');
      const fromScript = await app.inject({ method: 'GET', url: link.path });
      assert.equal(fromScript.statusCode, 404);
      assert.match(String(fromScript.headers['content-type']), /^application\/json/, 'other clients get JSON');
      const owner = await app.inject({ method: 'GET', url: `/api/conversations/${id}/share`, headers: withKey });
      assert.deepEqual(owner.json(), { share: null });

      const again = await app.inject({ method: 'DELETE', url: `/api/conversations/${id}/share`, headers: withKey });
      assert.equal(again.statusCode, 404);
      assert.equal((again.json() as { error: { message: string } }).error.message, `conversation ${id} is not shared`);

      const newLink = (await share(id)).json() as ShareLink;
      assert.notEqual(newLink.token, link.token);
      assert.equal((await readShared(link.token)).statusCode, 404, 'the old link stays dead');
    });

    it('accepts no writes through a link, and the token opens nothing but its snapshot', async () => {
      const id = await conversationWith('Read only, please');
      const link = (await share(id)).json() as ShareLink;
      const before = (await readShared(link.token)).body;
      for (const method of ['POST', 'PUT', 'PATCH', 'DELETE'] as const) {
        for (const url of [`/api/shared/${link.token}`, link.path, `/api/shared/${link.token}/messages`]) {
          const response = await app.inject({ method, url, payload: { content: 'overwrite', title: 'pwned' } });
          // Without the key the app API says 401 before routing; with it, there is no such route.
          assert.ok([401, 404].includes(response.statusCode), `${method} ${url}: ${response.statusCode}`);
          const withTheKey = await app.inject({ method, url, headers: withKey, payload: { content: 'overwrite', title: 'pwned' } });
          assert.equal(withTheKey.statusCode, 404, `${method} ${url} with the key: ${withTheKey.statusCode}`);
        }
      }
      // The token is no conversation id and no key.
      assert.equal((await app.inject({ method: 'GET', url: `/api/conversations/${link.token}`, headers: withKey })).statusCode, 404);
      assert.equal((await app.inject({ method: 'GET', url: `/api/conversations/${id}`, headers: { authorization: `Bearer ${link.token}` } })).statusCode, 401);
      assert.equal((await readShared(link.token)).body, before);
    });

    it('names what is wrong: an unknown conversation, an empty one, a made-up token', async () => {
      const unknown = await share('00000000-0000-4000-8000-000000000000');
      assert.equal(unknown.statusCode, 404);
      const empty = await share(await conversationWith());
      assert.equal(empty.statusCode, 409);
      assert.equal((empty.json() as { error: { message: string } }).error.message, 'this conversation has no messages yet: send one, then share it');
      for (const token of ['A'.repeat(24), 'not-a-token', '%27%20or%201%3D1']) {
        assert.equal((await readShared(token)).statusCode, 404, token);
        assert.equal((await app.inject({ method: 'GET', url: `/share/${token}` })).statusCode, 404, token);
      }
    });

    it('goes when its conversation is deleted', async () => {
      const id = await conversationWith('Short-lived');
      const link = (await share(id)).json() as ShareLink;
      await app.inject({ method: 'DELETE', url: `/api/conversations/${id}`, headers: withKey });
      assert.equal((await readShared(link.token)).statusCode, 404);
    });
  });
}

describeSharing('PGlite', async () => {
  const store = await openFreshPgliteStore();
  return { store, cleanUp: async () => {} };
});

const schema = createTestSchema();
describeSharing('PostgreSQL', async () => ({ store: await openPostgresStore(await schema), cleanUp: async () => (await schema).drop() }));
