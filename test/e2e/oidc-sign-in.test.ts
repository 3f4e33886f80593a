/**
 * "Sign in with …" on the real page in Chromium, against a real OpenID provider (oidc-provider)
 * on loopback: the login screen offers the provider, the provider's own login and consent pages
 * take the user, and the chat page comes back signed in to a new account.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { createEchoBackend } from '../../src/backends/echo/echo-backend.ts';
import { oidcSettingsSchema } from '../../src/server/auth/oidc/oidc-settings.ts';
import { buildApp } from '../../src/server/build-app.ts';
import { OIDC_CALLBACK_PATH } from '../../src/server/routes/oidc-routes.ts';
import type { ConversationStore } from '../../src/storage/conversation-store.ts';
import { openFreshPgliteStore } from '../storage/fresh-pglite.ts';
import { ensureWebBuild } from '../../scripts/ensure-web-build.ts';
import { startOidcTestProvider, type OidcTestProvider } from '../fakes/oidc-test-provider.ts';
import { answers, promptBox, sendPrompt, waitForAnswerDone } from './support/browser.ts';
import { endBrowserUse, testBrowser } from './support/test-browser.ts';
import { repositoryPath } from './support/test-server.ts';

describe('signing in with an OpenID provider from the page', () => {
  let provider: OidcTestProvider;
  let store: ConversationStore;
  let app: FastifyInstance;
  let browser: Browser;
  let url: string;

  before(async () => {
    await ensureWebBuild({ quiet: true });
    [provider, store, browser] = await Promise.all([
      startOidcTestProvider({ grace: { email: 'grace@example.com', email_verified: true, name: 'Grace Hopper' } }),
      openFreshPgliteStore(),
      testBrowser(),
    ]);
    app = buildApp({
      models: [{ id: 'echo', backend: createEchoBackend({ backend: 'echo', delayMs: 0 }), parallel: 2, maxQueue: 4 }],
      store,
      authMode: 'accounts',
      oidc: oidcSettingsSchema.parse({ issuer: provider.issuer, clientId: provider.clientId, clientSecret: provider.clientSecret, name: 'Example ID', allowedEmailDomains: ['example.com'] }),
      webRoot: repositoryPath('web', 'dist'),
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/`;
    provider.allowRedirect(new URL(OIDC_CALLBACK_PATH, url).href);
  });
  after(async () => {
    await endBrowserUse(browser);
    await app?.close();
    await store?.close();
    await provider?.close();
  });

  it('goes to the provider and back, signed in to an account made on the way', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(url);
    await page.getByRole('link', { name: 'Sign in with Example ID' }).click();

    // The provider's own development pages: any login, then consent.
    await page.waitForURL((current) => current.origin === provider.issuer);
    await page.locator('input[name="login"]').fill('grace');
    await page.locator('input[name="password"]').fill('any password');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();

    await page.waitForURL(url);
    await promptBox(page).waitFor();
    await sendPrompt(page, 'signed in through Example ID');
    await waitForAnswerDone(page);
    assert.match(await answers(page).first().innerText(), /signed in through Example ID/);

    const accounts = await store.accounts!.listAccounts();
    assert.deepEqual(accounts.map((account) => [account.email, account.oidcIssuer]), [['grace@example.com', provider.issuer]]);
    assert.deepEqual(errors, []);
    await context.close();
  });
});
