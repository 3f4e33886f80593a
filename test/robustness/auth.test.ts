/**
 * Auth robustness, beyond src/server/auth/api-key-auth.test.ts (which checks one route per API
 * family, the accepted header forms and the basic cookie): every route read from the app's router
 * refuses every wrong credential; the public routes are exactly the listed ones; the session
 * cookie's attributes; a realistic session through the real CLI leaks neither key into any log
 * line, response body or header; and a non-loopback bind without a key is refused before listening.
 */
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SESSION_COOKIE, SESSION_MAX_AGE_SECONDS } from '../../src/server/auth/session-cookie.ts';
import { createTestApp } from '../support/test-app.ts';
import { startAnychat } from '../cli/run-anychat.ts';
import { startFakeOpenAiServer } from '../fakes/fake-openai-server.ts';
import { closedPortEndpoint } from '../fakes/fake-upstream-server.ts';
import { rightCredentials, wrongCredentials } from './auth-credentials.ts';
import { seedConversation, type FuzzFixtures } from './fuzz-fixtures.ts';
import { runLeakSession } from './leak-session.ts';
import { describeRoute, listAppRoutes, type AppRoute } from './list-app-routes.ts';
import { recordRobustnessFigures } from './robustness-figures.ts';
import { sendWithCredentials } from './route-auth-check.ts';
import { findLeaks, type Leak } from './secret-leak-scan.ts';
import { startServe } from './serve-process.ts';
import { freshDataDirectory } from '../storage/fresh-pglite.ts';
import { pollUntil } from '../support/wait-for.ts';

const serverKey = 'anychat-server-key-3f9a1c7e5b2d';
const upstreamKey = 'sk-upstream-8e41d07c9a3b5f62e1d4';

/**
 * Reachable without the key, on purpose: the health check (load balancers carry no key), the
 * page and its assets (they show the login form), the status the page asks before login, login
 * and logout themselves, the page's CSP violation reports (browsers send them without the
 * page's key or cookie; see csp-report-routes.ts), and a shared conversation's read-only page and
 * snapshot, which its link alone opens (share-routes.ts), and whether the page offers an OpenID
 * Connect sign-in (oidc-routes.ts). Anything else answering without the key is a hole.
 */
const deliberatelyPublic = [
  'GET /health', 'HEAD /health', 'GET /*', 'HEAD /*', 'GET /api/status', 'HEAD /api/status', 'POST /api/login', 'POST /api/logout', 'POST /api/csp-report',
  'GET /api/shared/:token', 'HEAD /api/shared/:token', 'GET /share/:token', 'HEAD /share/:token',
  'GET /api/auth/oidc', 'HEAD /api/auth/oidc',
];

const figures = { routesChecked: 0, requestsRefused: 0, logLinesGrepped: 0, responsesGrepped: 0, leaks: 0, holes: 0 };

describe('auth', () => {
  after(() =>
    recordRobustnessFigures({
      suite: 'auth',
      title: 'Auth',
      runBy: 'npm test (test/robustness/auth.test.ts)',
      figures: [
        { label: 'routes checked (read from the router)', value: figures.routesChecked },
        { label: 'requests refused with 401', value: figures.requestsRefused },
        { label: 'log lines grepped for both keys', value: figures.logLinesGrepped },
        { label: 'responses grepped (status, headers, body)', value: figures.responsesGrepped },
        { label: 'routes answering a wrong credential', value: figures.holes, mustBeZero: true },
        { label: 'key leaks', value: figures.leaks, mustBeZero: true },
      ],
      notes: [
        `Wrong credentials tried on every protected route: ${wrongCredentials(serverKey).map((credentials) => credentials.name).join('; ')}.`,
        `Deliberately public: ${deliberatelyPublic.join(', ')}.`,
        'Found and fixed: anychat serve sent its own --api-key (ANYCHAT_API_KEY) to the upstream endpoint as the upstream key, and ignored --upstream-api-key whenever both were set; the server key now never leaves the server.',
        'Found and fixed: GET /openapi.json had no API family, so the key check (which skips routes without one) left it open; it now needs the key like every API route.',
      ],
    }),
  );

  describe('every route read from the router', () => {
    let webRoot: string;
    let app: ReturnType<typeof createTestApp>['app'];
    let routes: AppRoute[] = [];
    let fixtures: FuzzFixtures;
    const bearer = { authorization: `Bearer ${serverKey}` };

    before(async () => {
      // A built page, so the static asset routes exist as in production.
      webRoot = await mkdtemp(path.join(tmpdir(), 'anychat-auth-web-'));
      await mkdir(path.join(webRoot, 'assets'));
      await writeFile(path.join(webRoot, 'index.html'), '<!doctype html><title>anychat</title>');
      await writeFile(path.join(webRoot, 'assets', 'app.js'), 'console.log(1)');
      // Every wrong credential on every route comes from one address: far past the login rate
      // limit, which has its own test (src/server/auth/login-protection.test.ts).
      ({ app } = createTestApp({ apiKey: serverKey, webRoot, limits: { failedLoginBurst: 1_000_000 } }));
      await app.ready();
      routes = listAppRoutes(app);
      fixtures = await seedConversation(app, bearer);
      figures.routesChecked = routes.length;
    });
    after(async () => {
      await app.close();
      await rm(webRoot, { recursive: true, force: true });
    });

    it('answers without the key on exactly the deliberately public routes', async () => {
      const answeredWithoutKey: string[] = [];
      for (const route of routes) {
        const outcome = await sendWithCredentials(app, route, fixtures, { name: 'no key', headers: {} });
        if (!outcome.refused) answeredWithoutKey.push(describeRoute(route));
      }
      assert.deepEqual(answeredWithoutKey.sort(), [...deliberatelyPublic].sort());
    });

    it('refuses every wrong credential on every other route, with 401 in its API family’s shape', async () => {
      const protectedRoutes = routes.filter((route) => !deliberatelyPublic.includes(describeRoute(route)));
      const holes: string[] = [];
      for (const route of protectedRoutes) {
        for (const credentials of wrongCredentials(serverKey)) {
          const outcome = await sendWithCredentials(app, route, fixtures, credentials);
          if (outcome.refused) figures.requestsRefused++;
          else holes.push(`${describeRoute(route)} with ${credentials.name}: ${outcome.status} ${outcome.detail}`);
        }
      }
      figures.holes = holes.length;
      assert.deepEqual(holes, []);
      assert.ok(protectedRoutes.length >= 30, `only ${protectedRoutes.length} protected routes found`);
    });

    it('lets every right credential through on every route', async () => {
      const freshSessionCookie = async () => {
        const login = await app.inject({ method: 'POST', url: '/api/login', payload: { apiKey: serverKey } });
        return String(login.headers['set-cookie']).split(';')[0] ?? '';
      };
      const refused: string[] = [];
      for (const kind of rightCredentials(serverKey, '').map((credentials) => credentials.name)) {
        // Fresh ids each time: a DELETE with the right key really deletes.
        const ids = await seedConversation(app, bearer);
        for (const route of routes) {
          // POST /api/logout revokes the session it is sent with: each request gets its own.
          const credentials = rightCredentials(serverKey, await freshSessionCookie()).find((each) => each.name === kind);
          assert.ok(credentials);
          const outcome = await sendWithCredentials(app, route, ids, credentials);
          if (outcome.refused) refused.push(`${describeRoute(route)} with ${credentials.name}`);
        }
      }
      assert.deepEqual(refused, []);
    });

    it('sets an HttpOnly, SameSite=Strict session cookie for the whole site, only for the right key, and clears it on logout', async () => {
      for (const apiKey of ['wrong-key-0123456789', upstreamKey, `${serverKey} `]) {
        const refused = await app.inject({ method: 'POST', url: '/api/login', payload: { apiKey } });
        assert.equal(refused.statusCode, 401);
        assert.equal(refused.headers['set-cookie'], undefined, 'a failed login sets no cookie');
      }
      const login = await app.inject({ method: 'POST', url: '/api/login', payload: { apiKey: serverKey } });
      const attributes = String(login.headers['set-cookie']).split(';').map((part) => part.trim());
      assert.ok(attributes[0]?.startsWith(`${SESSION_COOKIE}=`));
      assert.ok(attributes.includes('HttpOnly'), 'scripts cannot read it');
      assert.ok(attributes.includes('SameSite=Strict'), 'other sites cannot send it');
      assert.ok(attributes.includes('Path=/'), 'it covers every API route');
      assert.ok(attributes.includes(`Max-Age=${SESSION_MAX_AGE_SECONDS}`), 'it expires');
      assert.ok(!attributes[0]?.includes(serverKey), 'the cookie is a signature, not the key');
      const logout = await app.inject({ method: 'POST', url: '/api/logout', headers: { cookie: attributes[0] ?? '' } });
      assert.equal(logout.statusCode, 204);
      assert.match(String(logout.headers['set-cookie']), new RegExp(`^${SESSION_COOKIE}=;.*(Max-Age=0|Expires=Thu, 01 Jan 1970)`));
    });
  });

  describe('a realistic session through the real CLI', { timeout: 180_000 }, () => {
    it('never writes the server key or the upstream key to a log line, a response body or a header', async () => {
      const upstream = await startFakeOpenAiServer({ apiKey: upstreamKey, modelId: 'fake/openai-echo' });
      const server = await startServe(['--backend', 'openai', '--endpoint', `${upstream.endpoint}/v1`, '--data-dir', await freshDataDirectory(), '--log-level', 'trace'], {
        ANYCHAT_AUTH_KEY: serverKey,
        ANYCHAT_API_KEY: upstreamKey,
      });
      let responses;
      try {
        responses = await runLeakSession(server.baseUrl, { serverKey, upstreamKey }, upstream);
      } finally {
        await server.stop();
        await upstream.close();
      }
      const logLines = [...server.output.stdout.split('\n'), ...server.output.stderr.split('\n')].filter(Boolean);
      const leaks: Leak[] = [
        ...findLeaks([...responses, ...logLines.map((line, index) => ({ where: `log line ${index + 1}`, text: line }))], [serverKey, upstreamKey]),
        // The upstream is a third party: it gets its own key and never this server's.
        ...findLeaks(upstream.requests.map((request) => ({ where: `sent upstream: ${request.method} ${request.path}`, text: JSON.stringify(request) })), [serverKey]),
      ];
      figures.logLinesGrepped = logLines.length;
      figures.responsesGrepped = responses.length;
      figures.leaks = leaks.length;
      assert.deepEqual(leaks, []);
      // The scan means something only if the keys were in play and the echoing errors came back.
      assert.ok(upstream.requests.some((request) => request.headers.authorization === `Bearer ${upstreamKey}`), 'the upstream got its key');
      assert.ok(responses.filter((response) => response.text.includes('[redacted]')).length >= 3, 'the upstream’s echoed key reached clients, redacted');
      assert.ok(logLines.length >= responses.length, `${logLines.length} log lines for ${responses.length} requests`);
    });
  });

  describe('binding beyond loopback', () => {
    for (const [name, args, env] of [
      ['--host 0.0.0.0', ['--host', '0.0.0.0'], {}],
      ['--host :: (every IPv6 address)', ['--host', '::'], {}],
      ['ANYCHAT_HOST=0.0.0.0', [], { ANYCHAT_HOST: '0.0.0.0' }],
      ['--host 0.0.0.0 with an empty --auth-key', ['--host', '0.0.0.0', '--auth-key', ''], {}],
    ] as const) {
      it(`is refused without a key: ${name}`, async () => {
        const port = Number(new URL(await closedPortEndpoint()).port);
        const child = startAnychat(['serve', '--backend', 'echo', '--data-dir', 'memory://', '--port', String(port), ...args], env);
        child.stdin.end();
        let stderr = '';
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
        const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
        // Knock on the port until the process ends: it must never have been listening.
        let answered = false;
        let running = true;
        void exited.then(() => (running = false));
        await pollUntil(async () => {
          answered ||= await canConnect(port);
          return !running;
        }, 60_000);
        const code = await exited;
        assert.equal(code, 2, `exit code 2 (bad usage); stderr: ${stderr}`);
        assert.match(stderr, /refusing to listen on .* without --auth-key/);
        assert.match(stderr, /--insecure-no-auth/, 'the message says how to go on anyway');
        assert.doesNotMatch(stderr, /listening on/);
        assert.equal(answered, false, 'nothing answered on the port');
      });
    }
  });
});

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
