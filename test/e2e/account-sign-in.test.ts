/**
 * `--auth accounts` in real Chromium: the page asks for a user name and password, refuses a wrong
 * one, chats once signed in, shows who is signed in, and Sign out ends the session (the cookie no
 * longer opens anything, even copied) and brings the form back. A second account sees none of the
 * first one's conversations. An admin sees the Users view; others have no such button.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { SESSION_COOKIE } from '../../src/server/auth/session-cookie.ts';
import { openFreshPgliteStore } from '../storage/fresh-pglite.ts';
import { answers, promptBox, sendPrompt, waitForAnswerDone } from './support/browser.ts';
import { endBrowserUse, testBrowser } from './support/test-browser.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

describe('a server with accounts', () => {
  let server: TestServer;
  let browser: Browser;

  before(async () => {
    const store = await openFreshPgliteStore();
    await store.accounts!.createAccount({ username: 'alice', password: 'alice-password-1', isAdmin: true });
    await store.accounts!.createAccount({ username: 'bob', password: 'bob-password-1', isAdmin: false });
    [server, browser] = await Promise.all([startTestServer({ echoDelayMs: 0, accounts: { store } }), testBrowser()]);
  });
  after(async () => {
    await endBrowserUse(browser);
    await server?.close();
    await server?.store.close();
  });

  const signIn = async (page: Page, username: string, password: string) => {
    await page.getByLabel('User name').fill(username);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  };

  it('signs in, refuses a wrong password, chats, and signs out everywhere', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(server.url);
    await page.getByRole('heading', { name: 'Sign in to anychat' }).waitFor();
    await signIn(page, 'alice', 'not-the-password');
    await page.getByRole('alert').getByText('The user name or password is not right.').waitFor();
    await signIn(page, 'alice', 'alice-password-1');
    await promptBox(page).waitFor();
    await page.getByLabel('Account').getByText('alice (admin)').waitFor();
    await sendPrompt(page, 'only for alice');
    await waitForAnswerDone(page);
    assert.match(await answers(page).first().innerText(), /only for alice/);

    // The admin's Users view: every account with its usage.
    await page.getByRole('button', { name: 'Users' }).click();
    const users = page.getByRole('dialog', { name: 'Users' });
    await users.getByRole('rowheader', { name: 'bob' }).waitFor();
    assert.equal(await users.getByRole('row').count(), 3, 'a header row, alice and bob');
    await users.getByRole('button', { name: 'Close' }).click();

    const cookie = (await context.cookies()).find((candidate) => candidate.name === SESSION_COOKIE);
    assert.ok(cookie?.httpOnly, 'the session cookie is HttpOnly');
    assert.equal(cookie?.sameSite, 'Strict');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to anychat' }).waitFor();
    const copied = await fetch(new URL('api/conversations', server.url), { headers: { cookie: `${SESSION_COOKIE}=${cookie!.value}` } });
    assert.equal(copied.status, 401, 'the session ended on the server, not only in this browser');

    await signIn(page, 'bob', 'bob-password-1');
    await promptBox(page).waitFor();
    await page.getByLabel('Account').getByText('bob', { exact: true }).waitFor();
    assert.equal(await page.getByText('only for alice').count(), 0, "Bob's sidebar has none of Alice's conversations");
    assert.equal(await page.getByRole('button', { name: 'Users' }).count(), 0, 'only admins have the Users view');
    await context.close();
  });
});
