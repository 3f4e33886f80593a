import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Backend } from '../backends/backend.ts';
import { createEchoBackend } from '../backends/echo/echo-backend.ts';
import { listenOnFreePort } from '../../test/support/listen-on-free-port.ts';
import { createTestApp } from '../../test/support/test-app.ts';

/** The echo backend taking a rendered prompt made with `chatTemplate`, as a GGUF model with its own template would. */
function backendWithTemplate(chatTemplate: string): Backend {
  const echo = createEchoBackend({ backend: 'echo' });
  return { ...echo, info: async () => ({ ...(await echo.info()), input: 'prompt', chatTemplate, chatTemplateName: 'chat template broken.jinja' }) };
}

describe("serve answers a chat template's failure with its one-line message", () => {
  // jinja2 has a wordcount filter; our renderer does not. The template refuses a second user turn on purpose.
  const template =
    "{% if messages | length > 1 %}{{ raise_exception('Only one message is supported') }}{% endif %}{% for message in messages %}{{ message.content | wordcount }}{% endfor %}";
  const { app } = createTestApp({ backend: backendWithTemplate(template) });
  let baseUrl: string;
  before(async () => {
    baseUrl = await listenOnFreePort(app);
  });
  after(() => app.close());

  const complete = (messages: { role: string; content: string }[]) =>
    fetch(`${baseUrl}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'echo', messages }) });

  it('a construct the renderer cannot run: 424 naming the template, the construct and the way out', async () => {
    const response = await complete([{ role: 'user', content: 'hi' }]);
    assert.equal(response.status, 424);
    const body = (await response.json()) as { error: { message: string } };
    assert.equal(
      body.error.message,
      'chat template broken.jinja failed: Unknown StringValue filter: wordcount; pass a template that works with --chat-template FILE, or use --template plain',
    );
  });

  it('a conversation the template refuses on purpose: 422 with its own words', async () => {
    const response = await complete([
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'hello' },
      { role: 'user', content: 'again' },
    ]);
    assert.equal(response.status, 422);
    const body = (await response.json()) as { error: { message: string } };
    assert.match(body.error.message, /^chat template broken\.jinja refuses this conversation: Only one message is supported;/);
  });
});
