/**
 * MCP tools on the page, in real Chromium: a scripted OpenAI-compatible upstream that calls a tool
 * and answers from its result, the SDK fixture server over stdio, and the real app. Approve and
 * deny, Stop while a call waits, reload while it waits, regenerate after a call, and a result
 * carrying XSS payloads staying inert text.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { createOpenAiBackend } from '../../src/backends/openai/openai-backend.ts';
import { McpToolbox } from '../../src/mcp/mcp-toolbox.ts';
import { createServerTools } from '../../src/server/tools/server-tools.ts';
import { startFakeOpenAiServer, type FakeOpenAiServerOptions, type FakeOpenAiServer } from '../fakes/fake-openai-server.ts';
import { stdioFixtureConfig } from '../fixtures/mcp/start-fixture-servers.ts';
import { XSS_PAYLOAD } from '../fixtures/mcp/xss-payload.ts';
import { answers, openPage, sendPrompt, waitForAnswerDone } from './support/browser.ts';
import { endBrowserUse, testBrowser } from './support/test-browser.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

describe('MCP tools on the page', () => {
  let server: TestServer;
  let browser: Browser;
  let upstream: FakeOpenAiServer;
  // Read by the fake at each request: each test picks the tool the "model" calls.
  const upstreamOptions: FakeOpenAiServerOptions = { toolUse: { name: 'asked__echo', arguments: '{"text":"hi"}' } };
  const toolbox = new McpToolbox([stdioFixtureConfig('asked', { approval: 'ask' }), stdioFixtureConfig('auto', { approval: 'always' })], {
    toolTimeoutMs: 5_000,
    startTimeoutMs: 20_000,
    maxResultCharacters: 16_384,
    clientInfo: { name: 'anychat-test', version: '0' },
  });

  before(async () => {
    upstream = await startFakeOpenAiServer(upstreamOptions);
    const backend = createOpenAiBackend({ backend: 'openai', endpoint: `${upstream.endpoint}/v1` });
    const info = await backend.info();
    await toolbox.start();
    [server, browser] = await Promise.all([
      startTestServer({ backend: { ...backend, info: async () => info }, tools: createServerTools(toolbox, { maxSteps: 4 }) }),
      testBrowser(),
    ]);
  });
  after(async () => {
    await endBrowserUse(browser);
    await server?.close();
    await upstream?.close();
    await toolbox.close();
  });

  const calling = (name: string, args = '{"text":"hi"}') => (upstreamOptions.toolUse = { name, arguments: args });
  const approvalPrompt = (page: Page) => page.getByRole('group', { name: /Approve the call to/ });
  const toolBlock = (page: Page) => answers(page).last().locator('details.tool-call');

  it('asks before an `ask` tool runs; Allow once runs it and the answer uses its result', async () => {
    calling('asked__echo', '{"text":"allowed"}');
    const { page } = await openPage(browser, server.url);
    await sendPrompt(page, 'Echo please');
    await approvalPrompt(page).waitFor();
    assert.match(await toolBlock(page).locator('summary').innerText(), /asked__echo\s*needs your approval/);
    assert.match(await toolBlock(page).locator('pre.arguments').innerText(), /"text": "allowed"/);
    await approvalPrompt(page).getByRole('button', { name: 'Allow once' }).click();
    await waitForAnswerDone(page);
    assert.match(await toolBlock(page).locator('summary').innerText(), /asked__echo\s*done\s*\d+\.\d s/);
    assert.equal(await toolBlock(page).locator('pre.result').textContent(), 'echo: allowed');
    assert.match(await answers(page).last().innerText(), /The tool said: echo: allowed/);
    assert.equal(await approvalPrompt(page).count(), 0);
  });

  it('Deny tells the model, which answers without the tool', async () => {
    calling('asked__echo');
    const { page } = await openPage(browser, server.url);
    await sendPrompt(page, 'Echo, but I will deny');
    await approvalPrompt(page).getByRole('button', { name: 'Deny' }).click();
    await waitForAnswerDone(page);
    assert.match(await toolBlock(page).locator('summary').innerText(), /denied/);
    assert.match(await answers(page).last().innerText(), /The tool said: The user denied this tool call\./);
  });

  it('Stop while a call waits for approval ends the answer, the call cancelled', async () => {
    calling('asked__echo');
    const { page } = await openPage(browser, server.url);
    await sendPrompt(page, 'Echo, then stop');
    await approvalPrompt(page).waitFor();
    await page.getByRole('button', { name: 'Stop' }).click();
    await waitForAnswerDone(page);
    await toolBlock(page).locator('summary', { hasText: 'cancelled' }).waitFor();
    assert.equal(await approvalPrompt(page).count(), 0);
    // Nothing lost: the question and the cancelled call are still there after a reload.
    await page.reload();
    await toolBlock(page).locator('summary', { hasText: 'cancelled' }).waitFor();
  });

  it('a reload while a call waits for approval re-attaches with the prompt, which still works', async () => {
    calling('asked__echo', '{"text":"after reload"}');
    const { page } = await openPage(browser, server.url);
    await sendPrompt(page, 'Echo across a reload');
    await approvalPrompt(page).waitFor();
    await page.reload();
    await approvalPrompt(page).getByRole('button', { name: 'Allow once' }).click();
    await waitForAnswerDone(page);
    assert.equal(await toolBlock(page).locator('pre.result').textContent(), 'echo: after reload');
    assert.match(await answers(page).last().innerText(), /The tool said: echo: after reload/);
  });

  it('regenerate after a tool call runs the tools again in a new branch', async () => {
    calling('auto__echo', '{"text":"again"}');
    const { page } = await openPage(browser, server.url);
    await sendPrompt(page, 'Echo twice');
    await waitForAnswerDone(page);
    assert.equal(await toolBlock(page).locator('pre.result').textContent(), 'echo: again');
    await answers(page).last().getByRole('button', { name: 'Regenerate' }).click();
    // The versions switcher shows once the new answer is done.
    await answers(page).last().getByText('2/2').waitFor();
    await waitForAnswerDone(page);
    assert.equal(await toolBlock(page).locator('pre.result').textContent(), 'echo: again');
    assert.match(await answers(page).last().innerText(), /The tool said: echo: again/);
  });

  it('Advanced options lists the operator\'s servers and tools; switching one off stops offering it', async () => {
    calling('auto__echo', '{"text":"switches"}');
    const { page } = await openPage(browser, server.url);
    await page.getByRole('button', { name: 'Advanced options' }).click();
    const panel = page.getByRole('group', { name: 'Tools' });
    await panel.getByText('asks first').first().waitFor();
    await panel.getByRole('checkbox', { name: 'asked', exact: true }).uncheck();
    await page.getByRole('button', { name: 'Advanced options' }).click();
    await sendPrompt(page, 'Only the automatic tools');
    await waitForAnswerDone(page);
    const offered = (upstream.requests.findLast((request) => request.path === '/v1/chat/completions')!.body as { tools?: Array<{ function: { name: string } }> }).tools;
    assert.ok(offered === undefined || offered.every((tool) => !tool.function.name.startsWith('asked__')), JSON.stringify(offered));
    const first = upstream.requests.filter((request) => request.path === '/v1/chat/completions').at(-2)!.body as { tools: Array<{ function: { name: string } }> };
    assert.ok(first.tools.length > 0 && first.tools.every((tool) => tool.function.name.startsWith('auto__')));
  });

  it('a result carrying XSS payloads is shown as inert text, in the block and in the answer', async () => {
    calling('auto__xss', '{}');
    const { page } = await openPage(browser, server.url);
    await sendPrompt(page, 'Fetch the hostile page');
    await waitForAnswerDone(page);
    assert.equal(await toolBlock(page).locator('pre.result').textContent(), XSS_PAYLOAD);
    assert.equal(await toolBlock(page).locator('img, script, a').count(), 0);
    const answer = answers(page).last();
    assert.equal(await answer.locator('img[onerror], script, a[href^="javascript:"]').count(), 0);
    assert.equal(await page.evaluate(() => (window as unknown as { __toolXss?: number }).__toolXss), undefined);
  });
});
