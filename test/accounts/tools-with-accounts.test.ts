/**
 * MCP tools under `--auth accounts`: `--mcp-admin-only` gives them to admins alone, and a tool
 * call awaiting approval is decided by the answer's owner only — another user's POST is the same
 * 404 as an id that does not exist, and leaves the call waiting.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { createOpenAiBackend } from '../../src/backends/openai/openai-backend.ts';
import type { ToolCallRecord } from '../../src/chat/tools/tool-call-record.ts';
import { McpToolbox } from '../../src/mcp/mcp-toolbox.ts';
import { adminsOnly, createServerTools } from '../../src/server/tools/server-tools.ts';
import type { ConversationStore } from '../../src/storage/conversation-store.ts';
import { openFreshPgliteStore } from '../storage/fresh-pglite.ts';
import { startFakeOpenAiServer, type FakeOpenAiServer } from '../fakes/fake-openai-server.ts';
import { stdioFixtureConfig } from '../fixtures/mcp/start-fixture-servers.ts';
import { listenOnFreePort } from '../support/listen-on-free-port.ts';
import { ALICE, BOB, createAccountsApp, signIn } from './account-apps.ts';

const CAROL = { username: 'carol', password: 'carol-password-1' };

interface ToolList {
  allowed: boolean;
  servers: Array<{ name: string }>;
}

describe('MCP tools with --auth accounts', () => {
  const toolbox = new McpToolbox([stdioFixtureConfig('asked', { approval: 'ask' })], {
    toolTimeoutMs: 5_000,
    startTimeoutMs: 20_000,
    maxResultCharacters: 16_384,
    clientInfo: { name: 'anychat-test', version: '0' },
  });
  let store: ConversationStore;
  let upstream: FakeOpenAiServer;
  let app: FastifyInstance;
  let base: string;
  let alice: Record<string, string>;
  let bob: Record<string, string>;
  let carol: Record<string, string>;

  before(async () => {
    await toolbox.start();
    store = await openFreshPgliteStore();
    await store.accounts!.createAccount({ ...ALICE, isAdmin: true });
    await store.accounts!.createAccount({ ...BOB, isAdmin: false });
    await store.accounts!.createAccount({ ...CAROL, isAdmin: true });
    upstream = await startFakeOpenAiServer({ toolUse: { name: 'asked__echo', arguments: '{"text":"ping"}' } });
    const backend = createOpenAiBackend({ backend: 'openai', endpoint: `${upstream.endpoint}/v1` });
    const tools = createServerTools(toolbox, { maxSteps: 4, mayUseTools: adminsOnly });
    app = createAccountsApp(store, { backend, tools });
    base = `${await listenOnFreePort(app)}/api`;
    alice = await signIn(app, ALICE);
    bob = await signIn(app, BOB);
    carol = await signIn(app, CAROL);
  });
  after(async () => {
    await app?.close();
    await upstream?.close();
    await store?.close();
    await toolbox.close();
  });

  it('--mcp-admin-only: admins see and get the tools, other users neither', async () => {
    const forAlice = (await (await fetch(`${base}/tools`, { headers: alice })).json()) as ToolList;
    const forBob = (await (await fetch(`${base}/tools`, { headers: bob })).json()) as ToolList;
    assert.equal(forAlice.allowed, true);
    assert.deepEqual(forAlice.servers.map((server) => server.name), ['asked']);
    assert.equal(forBob.allowed, false);
    assert.deepEqual(forBob.servers, []);
    // Bob's answers are offered no tools, so the model (which calls one whenever it is offered) answers plainly.
    const json = { 'content-type': 'application/json' };
    const conversation = (await (await fetch(`${base}/conversations`, { method: 'POST', headers: { ...bob, ...json }, body: JSON.stringify({ title: 'No tools' }) })).json()) as {
      id: string;
    };
    const stream = await (await fetch(`${base}/conversations/${conversation.id}/messages`, { method: 'POST', headers: { ...bob, ...json }, body: JSON.stringify({ content: 'Call the echo tool' }) })).text();
    assert.match(stream, /event: answer-finish/);
    assert.doesNotMatch(stream, /event: tool-update/);
    assert.equal((upstream.requests.at(-1)?.body as { tools?: unknown } | undefined)?.tools, undefined);
  });

  it("another user's approval of a waiting call is a 404 and leaves it waiting; the owner's decides it", async () => {
    const json = { 'content-type': 'application/json' };
    const conversation = (await (await fetch(`${base}/conversations`, { method: 'POST', headers: { ...alice, ...json }, body: JSON.stringify({ title: 'Tools' }) })).json()) as {
      id: string;
    };
    const response = await fetch(`${base}/conversations/${conversation.id}/messages`, {
      method: 'POST',
      headers: { ...alice, ...json },
      body: JSON.stringify({ content: 'Call the echo tool' }),
    });
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    const waitFor = async (pattern: RegExp): Promise<RegExpExecArray> => {
      for (;;) {
        const found = pattern.exec(text);
        if (found) return found;
        const { value, done } = await reader.read();
        if (done) throw new Error(`the stream ended before ${pattern}: ${text}`);
        text += value;
      }
    };
    const pending = await waitFor(/event: tool-update\ndata: (.*"status":"pending".*)\n/);
    const { call, messageId } = JSON.parse(pending[1]!) as { call: ToolCallRecord; messageId: string };
    const approval = (who: Record<string, string>, decision: string) =>
      fetch(`${base}/messages/${messageId}/tool-calls/${call.id}/approval`, { method: 'POST', headers: { ...who, ...json }, body: JSON.stringify({ decision }) });

    // Carol is an admin too, so --mcp-admin-only lets her through: only ownership stands in her way.
    const byCarol = await approval(carol, 'allow-once');
    assert.equal(byCarol.status, 404);
    const byAlice = await approval(alice, 'deny');
    assert.equal(byAlice.status, 204);
    await waitFor(/"status":"denied"/);
    await waitFor(/event: answer-finish/);
    await reader.cancel();
  });
});
