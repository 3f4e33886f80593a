/**
 * A realistic session against a running `anychat serve` (openai backend, a fake upstream that
 * wants its own key): the page's login and chat, both HTTP APIs streamed and not, upstream
 * errors that quote the upstream key and the request headers back, and clients with wrong keys.
 * Every response's status, headers and body are kept, for the leak scan.
 */
import type { FakeOpenAiServer } from '../fakes/fake-openai-server.ts';

export interface CapturedText {
  readonly where: string;
  readonly text: string;
}

export interface SessionKeys {
  readonly serverKey: string;
  readonly upstreamKey: string;
}

export async function runLeakSession(baseUrl: string, keys: SessionKeys, upstream: FakeOpenAiServer): Promise<CapturedText[]> {
  const captured: CapturedText[] = [];
  const bearer = { authorization: `Bearer ${keys.serverKey}` };
  const send = async (method: string, path: string, options: { headers?: Record<string, string>; body?: unknown } = {}) => {
    const headers = { ...(options.body === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers };
    const response = await fetch(`${baseUrl}${path}`, { method, headers, ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }) });
    const text = await response.text();
    captured.push({ where: `${method} ${path} → ${response.status}`, text: `${JSON.stringify(Object.fromEntries(response.headers))}\n${text}` });
    return { status: response.status, headers: response.headers, text };
  };
  const chat = (content: string, stream: boolean) =>
    send('POST', '/v1/chat/completions', { headers: bearer, body: { model: 'fake/openai-echo', stream, messages: [{ role: 'user', content }] } });

  // The page: status before login, a wrong key, then the real login, and its cookie from there on.
  await send('GET', '/api/status');
  await send('POST', '/api/login', { body: { apiKey: 'not-the-key-0123456789' } });
  await send('POST', '/api/login', { body: { apiKey: keys.upstreamKey } });
  const login = await send('POST', '/api/login', { body: { apiKey: keys.serverKey } });
  const cookie = { cookie: (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '' };
  await send('GET', '/api/models', { headers: cookie });
  const created = await send('POST', '/api/conversations', { headers: cookie, body: { title: 'Savanna' } });
  const conversationId = (JSON.parse(created.text) as { id: string }).id;
  await send('POST', `/api/conversations/${conversationId}/messages`, { headers: cookie, body: { content: 'Which animals live in the savanna?' } });

  // The APIs, working.
  for (const path of ['/health', '/info', '/v1/models', '/metrics', '/openapi.json']) await send('GET', path, { headers: bearer });
  await chat('Has math been invented or discovered?', false);
  await chat('Has math been invented or discovered?', true);
  await send('POST', '/generate', { headers: bearer, body: { inputs: 'User: hi\nAssistant:', parameters: { max_new_tokens: 5 } } });

  // Upstream errors that quote the upstream key and the headers it was sent, as some proxies do.
  const echoed = `Incorrect API key provided: ${keys.upstreamKey}. Request headers: ${JSON.stringify({ authorization: `Bearer ${keys.upstreamKey}` })}`;
  upstream.setFault({ kind: 'http-error', status: 401, body: 'server-json', message: echoed, errorType: 'authentication_error' });
  await chat('this will fail', false);
  await chat('this will fail', true);
  await send('POST', `/api/conversations/${conversationId}/messages`, { headers: cookie, body: { content: 'and this?' } });
  upstream.setFault({ kind: 'http-error', status: 500, body: 'plain-text', message: echoed });
  await chat('this will fail too', false);
  upstream.setFault({ kind: 'error-event', afterTokens: 1, message: echoed });
  await chat('fails after a word', true);
  await send('POST', `/api/conversations/${conversationId}/messages`, { headers: cookie, body: { content: 'fails after a word' } });
  upstream.setFault(null);

  // What was stored, read back: failed answers keep their error messages.
  await send('GET', `/api/conversations/${conversationId}`, { headers: cookie });
  await send('GET', `/api/conversations/${conversationId}/export`, { headers: cookie });
  await send('GET', `/api/conversations/${conversationId}/export?format=markdown`, { headers: cookie });

  // Clients with wrong keys, one of them the right key with a character more.
  await send('POST', '/v1/chat/completions', { body: { messages: [{ role: 'user', content: 'no key' }] } });
  await send('POST', '/v1/chat/completions', { headers: { authorization: `Bearer ${keys.serverKey}x` }, body: { messages: [{ role: 'user', content: 'x' }] } });
  await send('POST', '/generate', { headers: { authorization: `Basic ${keys.upstreamKey}` }, body: { inputs: 'x' } });
  await send('GET', '/api/conversations', { headers: { cookie: 'anychat_session=1.forged' } });
  await send('GET', '/metrics');
  await send('POST', '/api/logout', { headers: cookie });
  return captured;
}
