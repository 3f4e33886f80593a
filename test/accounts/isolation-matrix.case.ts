/**
 * The isolation matrix: two accounts × every route read from the app's router × every id kind
 * (conversation, user message, answer). Bob, given Alice's ids, gets exactly what he gets for ids
 * that do not exist (status and body, the id aside): 404 on every conversation and message route.
 * No response to Bob, on any route, holds Alice's ids or text; and nothing of Alice's changes.
 * Run on every database (PGlite, PostgreSQL).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance, HTTPMethods, LightMyRequestResponse } from 'fastify';
import type { ConversationStore } from '../../src/storage/conversation-store.ts';
import { seedConversation, type FuzzFixtures } from '../robustness/fuzz-fixtures.ts';
import { describeRoute, listAppRoutes, type AppRoute } from '../robustness/list-app-routes.ts';
import { ALICE, BOB, createAccountsApp, signIn } from './account-apps.ts';

export interface IsolationMatrixOptions {
  open: () => Promise<ConversationStore>;
  cleanUp?: () => Promise<void>;
}

/** A body that would succeed for the owner, so Bob's request passes validation and meets the ownership check. */
const bodies: Record<string, unknown> = {
  'PATCH /api/conversations/:id': { title: 'taken over' },
  'POST /api/conversations/:id/messages': { content: 'written into another account', settings: { parameters: { maxNewTokens: 2 } } },
  'POST /api/messages/:id/edit': { content: 'edited by another account' },
  'POST /api/messages/:id/regenerate': {},
  'POST /api/messages/:id/continue': {},
  'POST /api/messages/:id/tool-calls/:callId/approval': { decision: 'allow-once' },
};

const ALICE_SECRET = 'alice-private-text-7d1e';

export function describeIsolationMatrix(name: string, options: IsolationMatrixOptions): void {
  describe(`isolation matrix: ${name}`, () => {
    let store: ConversationStore;
    let app: FastifyInstance;
    let alice: Record<string, string>;
    let bob: Record<string, string>;
    let aliceIds: FuzzFixtures;
    let bobIds: FuzzFixtures;
    let routes: AppRoute[];
    const checked = { routes: 0, requests: 0 };

    /** Everything of Alice's as her export shows it (every branch, prompts included), less the export time. */
    const fingerprint = async () => {
      const exported = await app.inject({ method: 'GET', url: '/api/conversations/export', headers: alice });
      assert.equal(exported.statusCode, 200);
      const { exportedAt: _exportedAt, ...rest } = exported.json<{ exportedAt: string }>();
      return JSON.stringify(rest);
    };

    before(async () => {
      store = await options.open();
      await store.accounts!.createAccount({ ...ALICE, isAdmin: false });
      await store.accounts!.createAccount({ ...BOB, isAdmin: false });
      app = createAccountsApp(store);
      await app.ready();
      alice = await signIn(app, ALICE);
      bob = await signIn(app, BOB);
      aliceIds = await seedConversation(app, alice);
      await app.inject({ method: 'PATCH', url: `/api/conversations/${aliceIds.conversationId}`, headers: alice, payload: { title: ALICE_SECRET } });
      bobIds = await seedConversation(app, bob);
      routes = listAppRoutes(app);
    });
    after(async () => {
      console.log(`isolation matrix (${name}): ${checked.routes} routes, ${checked.requests} requests as the other account`);
      await app.close();
      await store.close();
      await options.cleanUp?.();
    });

    const send = (method: HTTPMethods, url: string, payload?: unknown) =>
      app.inject({ method, url, headers: bob, ...(payload === undefined ? {} : { payload: payload as object }) });

    /** `sent`: the id Bob put in his own request, which a "not found" message may repeat. */
    const assertNoneOfAlices = (response: LightMyRequestResponse, what: string, sent?: string) => {
      const seen = `${JSON.stringify(response.headers)}\n${response.body}`;
      for (const id of Object.values(aliceIds)) {
        if (id !== sent) assert.ok(!seen.includes(id), `${what} showed Alice's id ${id}: ${response.body.slice(0, 300)}`);
      }
      assert.ok(!seen.includes(ALICE_SECRET), `${what} showed Alice's title`);
    };

    /** Status and body with the id written as <id>, so "no conversation with id X" compares across ids. */
    const shape = (response: LightMyRequestResponse, id: string) => ({ status: response.statusCode, body: response.body.split(id).join('<id>') });

    it('reads the routes from the router, every API family included', () => {
      const listed = new Set(routes.map(describeRoute));
      for (const route of ['GET /api/conversations/:id', 'POST /api/messages/:id/stop', 'GET /api/messages/:id/stream', 'GET /api/conversations/export', 'POST /generate', 'POST /v1/chat/completions', 'GET /api/admin/users']) {
        assert.ok(listed.has(route), `${route} is missing from ${[...listed].join(', ')}`);
      }
    });

    it("answers Alice's ids of every kind to Bob exactly as ids that do not exist (404), on every route with an id", async () => {
      const before = await fingerprint();
      const idRoutes = routes.filter((route) => /:(id|username)\b/.test(route.url));
      assert.ok(idRoutes.length >= 12, `only ${idRoutes.length} routes with an id`);
      for (const route of idRoutes) {
        checked.routes++;
        const key = describeRoute(route);
        const payload = route.method === 'GET' || route.method === 'HEAD' || route.method === 'DELETE' ? undefined : (bodies[key] ?? {});
        const candidates = route.url.includes(':username') ? [ALICE.username] : Object.values(aliceIds);
        for (const aliceId of candidates) {
          const missing = route.url.includes(':username') ? 'nobody-at-all' : randomUUID();
          const toAlice = await send(route.method, route.url.replace(/:(id|username)\b/, aliceId), payload);
          const toNothing = await send(route.method, route.url.replace(/:(id|username)\b/, missing), payload);
          checked.requests += 2;
          assert.deepEqual(shape(toAlice, aliceId), shape(toNothing, missing), `${key} with Alice's ${aliceId} differs from a missing id`);
          const expected = route.url.startsWith('/api/admin/') ? 403 : 404;
          assert.equal(toAlice.statusCode, expected, `${key} with Alice's id: ${toAlice.statusCode} ${toAlice.body.slice(0, 200)}`);
          assertNoneOfAlices(toAlice, key, aliceId);
        }
      }
      assert.equal(await fingerprint(), before, "nothing of Alice's changed");
    });

    it("refuses Alice's ids inside Bob's own requests (a leaf, a parent, an export) as it refuses missing ones", async () => {
      const before = await fingerprint();
      const cases: Array<{ what: string; request: (id: string) => Promise<LightMyRequestResponse> }> = [
        { what: 'PATCH activeLeafId', request: (id) => send('PATCH', `/api/conversations/${bobIds.conversationId}`, { activeLeafId: id }) },
        { what: 'send with parentId', request: (id) => send('POST', `/api/conversations/${bobIds.conversationId}/messages`, { content: 'hi', parentId: id }) },
        { what: 'export ?id=', request: (id) => send('GET', `/api/conversations/export?id=${id}`) },
      ];
      for (const { what, request } of cases) {
        for (const aliceId of Object.values(aliceIds)) {
          const missing = randomUUID();
          const [toAlice, toNothing] = [await request(aliceId), await request(missing)];
          checked.requests += 2;
          assert.deepEqual(shape(toAlice, aliceId), shape(toNothing, missing), `${what} with Alice's ${aliceId}`);
          assert.ok(toAlice.statusCode >= 400, `${what}: ${toAlice.statusCode}`);
          assertNoneOfAlices(toAlice, what, aliceId);
        }
      }
      // An import of a file holding Alice's ids gets fresh ids, as one holding unknown ids does.
      const exported = (await app.inject({ method: 'GET', url: `/api/conversations/export?id=${aliceIds.conversationId}`, headers: alice })).json<{
        conversations: Array<{ conversation: { title: string } }>;
      }>();
      // Her ids, not her title: the later checks look for the title in what Bob sees.
      for (const snapshot of exported.conversations) snapshot.conversation.title = 'a copy';
      const imported = await send('POST', '/api/conversations/import', exported);
      assert.equal(imported.statusCode, 201);
      const [entry] = imported.json<{ imported: Array<{ sourceId: string; id: string }> }>().imported;
      assert.notEqual(entry?.id, aliceIds.conversationId, "Bob's copy is his own, under a fresh id");
      assert.equal(await fingerprint(), before, "nothing of Alice's changed");
    });

    it("shows Bob nothing of Alice's on any route: lists, search, export of everything, and every other route", async () => {
      const list = await send('GET', '/api/conversations');
      assert.deepEqual(list.json<{ conversations: Array<{ id: string }> }>().conversations.map((conversation) => conversation.id).sort(), [
        ...new Set([bobIds.conversationId, ...(await store.forOwner((await store.accounts!.findAccount('bob'))!.id).listConversations()).map((conversation) => conversation.id)]),
      ].sort());
      assertNoneOfAlices(await send('GET', `/api/conversations?search=${ALICE_SECRET}`), 'search');
      assertNoneOfAlices(await send('GET', '/api/conversations?search=Hello'), 'search');
      assertNoneOfAlices(await send('GET', '/api/conversations/export'), 'export all');
      for (const route of routes.filter((candidate) => !/:(id|username)\b/.test(candidate.url) && !candidate.url.includes('*'))) {
        checked.requests++;
        const payload = route.method === 'POST' || route.method === 'PUT' || route.method === 'PATCH' ? {} : undefined;
        assertNoneOfAlices(await send(route.method, route.url, payload), describeRoute(route));
      }
    });
  });
}
