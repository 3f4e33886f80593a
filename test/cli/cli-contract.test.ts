/**
 * The command line's contract, run through the real `anychat` command: 2 for bad usage, 1 for
 * failures, and one plain line each, in one style, with nothing raw around it.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { renderPlainPrompt } from '../../src/chat/templates/plain-template.ts';
import { messagesFromHistory } from '../../src/chat/message.ts';
import { startServe } from '../robustness/serve-process.ts';
import { freshDataDirectory } from '../storage/fresh-pglite.ts';
import { ANYCHAT_COMMAND, runAnychat } from './run-anychat.ts';

const TINY_MODEL = path.resolve(import.meta.dirname, '../../.cache/models/tiny.gguf');

function listenOnFreePort(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve({ server, port: typeof address === 'object' && address ? address.port : 0 });
    }),
  );
}

describe('anychat serve flags', () => {
  it('refuses --port 99999 at once with exit 2, before any model loads', async () => {
    // A model that does not exist: had the backend started, its failure would be logged too.
    const result = await runAnychat(['serve', '--port', '99999', '--model', '/nonexistent/model.gguf', '--data-dir', 'memory://']);
    assert.equal(result.code, 2, result.stderr);
    assert.equal(result.stderr, 'anychat: --port must be a whole number from 0 to 65535, got "99999"\n');
    assert.equal(result.stdout, '', 'no log line: the server never started');
  });

  it('says in plain lines when the model fails to load, with the commands that fix it', async () => {
    // A copied, migrated database rather than memory://, whose initdb costs about 6 s of CPU per start.
    const server = await startServe(['--model', '/nonexistent/model.gguf', '--data-dir', await freshDataDirectory(), '--log-level', 'fatal'], {});
    try {
      await new Promise<void>((resolve) => {
        const check = () => (/to fix it/.test(server.output.stderr) ? resolve() : undefined);
        server.child.stderr.on('data', check);
        check();
      });
    } finally {
      await server.stop();
    }
    assert.match(server.output.stderr, /^anychat: the model failed to load: .*\/nonexistent\/model\.gguf.*$/m);
    assert.match(server.output.stderr, /^anychat: to fix it, restart with a model file \(anychat serve --model PATH\.gguf\) or a server \(anychat serve --endpoint URL\)$/m);
    assert.doesNotMatch(server.output.stderr, /\n\s+at /, 'no stack trace on the terminal');
  });

  it('says the port is taken and suggests --port', async () => {
    const { server, port } = await listenOnFreePort();
    try {
      const result = await runAnychat(['serve', '--backend', 'echo', '--data-dir', await freshDataDirectory(), '--port', String(port), '--log-level', 'error']);
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, new RegExp(`^anychat: port ${port} on 127\\.0\\.0\\.1 is already taken; stop what uses it, or pick another with --port, e\\.g\\. --port ${port + 1}\\n$`));
      assert.doesNotMatch(result.stderr, /unexpected failure|EADDRINUSE/);
    } finally {
      server.close();
    }
  });

  it('keeps its own login key apart from the upstream key: ANYCHAT_API_KEY does not lock the page', async () => {
    // One .env written for `ask` (ANYCHAT_API_KEY is the upstream's key there) must mean the same to serve.
    const open = await startServe(['--backend', 'echo', '--data-dir', await freshDataDirectory()], { ANYCHAT_API_KEY: 'hf_upstream_key_0123' });
    try {
      const status = (await (await fetch(`${open.baseUrl}/api/status`)).json()) as { authRequired: boolean };
      assert.equal(status.authRequired, false);
      assert.equal((await fetch(`${open.baseUrl}/api/conversations`)).status, 200);
    } finally {
      await open.stop();
    }
    const locked = await startServe(['--backend', 'echo', '--data-dir', await freshDataDirectory()], { ANYCHAT_AUTH_KEY: 'page-login-key-0123' });
    try {
      const status = (await (await fetch(`${locked.baseUrl}/api/status`)).json()) as { authRequired: boolean };
      assert.equal(status.authRequired, true);
      assert.equal((await fetch(`${locked.baseUrl}/api/conversations`)).status, 401);
      const authorized = await fetch(`${locked.baseUrl}/api/conversations`, { headers: { authorization: 'Bearer page-login-key-0123' } });
      assert.equal(authorized.status, 200);
    } finally {
      await locked.stop();
    }
  });

  it('takes --auth-key on the command line and lists it in --help, with --api-key as the upstream key', async () => {
    const help = await runAnychat(['serve', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--auth-key <key>/);
    assert.match(help.stdout, /--api-key <key>\s+key for the endpoint/);
    const refused = await runAnychat(['serve', '--backend', 'echo', '--data-dir', 'memory://', '--host', '0.0.0.0', '--api-key', 'upstream-only']);
    assert.equal(refused.code, 2, 'an upstream key does not protect the page, so a public --host is still refused');
    assert.match(refused.stderr, /without --auth-key/);
  });
});

describe('one style for every error', () => {
  it("words commander's own errors like ours, on one line, exit 2", async () => {
    const unknownOption = await runAnychat(['ask', '--no-such-flag']);
    assert.equal(unknownOption.code, 2);
    assert.equal(unknownOption.stderr, "anychat: unknown option '--no-such-flag' (add --help for usage)\n");
    const unknownCommand = await runAnychat(['frobnicate']);
    assert.equal(unknownCommand.code, 2);
    assert.equal(unknownCommand.stderr, "anychat: unknown command 'frobnicate' (add --help for usage)\n");
  });

  it('prints no blank line before the message for an unreachable endpoint', async () => {
    const result = await runAnychat(['ask', '--backend', 'tgi', '--endpoint', 'http://127.0.0.1:9', 'hello']);
    assert.equal(result.code, 1, result.stderr);
    assert.equal(result.stdout, '', 'nothing on stdout: no answer, no empty line');
    assert.match(result.stderr, /^error \(unreachable\): .*127\.0\.0\.1:9/);
  });

  it("prints no raw llama.cpp lines for a corrupt GGUF, unless --verbose", async () => {
    const corrupt = path.join(tmpdir(), `anychat-corrupt-${process.pid}.gguf`);
    const { readFile } = await import('node:fs/promises');
    await writeFile(corrupt, (await readFile(TINY_MODEL)).subarray(0, 4096));
    const quiet = await runAnychat(['ask', '--model', corrupt, 'hello']);
    assert.equal(quiet.code, 1, quiet.stderr);
    assert.equal(quiet.stderr.split('\n').filter(Boolean).length, 1, `one line: ${quiet.stderr}`);
    assert.match(quiet.stderr, /^anychat: Model file .* could not be loaded/);
    const verbose = await runAnychat(['--verbose', 'ask', '--model', corrupt, 'hello']);
    assert.equal(verbose.code, 1);
    assert.match(verbose.stderr, /\[node-llama-cpp\]/, 'the native lines are there when asked for');
    await rm(corrupt, { force: true });
  });
});

describe('anychat render-prompt without a model', () => {
  it('renders the plain template without downloading anything', async () => {
    const input = { system: 'Be brief.', history: [['Hi', 'Hello!']], message: 'Has math been invented or discovered?' };
    // No network in the test either way: had it tried to fetch the default model, it would fail with exit 1.
    const result = await runAnychat(['render-prompt'], { stdin: JSON.stringify(input), env: { HF_HUB_OFFLINE: '1' } });
    assert.equal(result.code, 0, result.stderr);
    const expected = renderPlainPrompt(messagesFromHistory({ system: input.system, history: [['Hi', 'Hello!']], message: input.message }));
    assert.equal(result.stdout, expected);
    assert.equal(result.stderr, '');
  });

  it('says in one line how to pass a model when the model’s template is asked for', async () => {
    const result = await runAnychat(['render-prompt', '--template', 'model'], { stdin: '{"message": "hi"}' });
    assert.equal(result.code, 2);
    assert.equal(result.stderr.split('\n').filter(Boolean).length, 1);
    assert.match(result.stderr, /^anychat: .*--model PATH\.gguf.*--endpoint URL/);
  });
});

describe('anychat chat in a terminal', () => {
  it('ends the "You: " line on Ctrl+D, so the shell prompt starts on its own line', async () => {
    // A real pseudo-terminal (Python's pty), since Ctrl+D means end-of-input only on a terminal.
    const script = [
      'import os, pty, sys',
      'pid, fd = pty.fork()',
      'if pid == 0:',
      '    os.execv(sys.argv[1], sys.argv[1:])',
      'out = b""',
      'while b"You: " not in out:',
      '    out += os.read(fd, 1024)',
      'os.write(fd, b"\\x04")',
      'while True:',
      '    try:',
      '        chunk = os.read(fd, 1024)',
      '    except OSError:',
      '        break',
      '    if not chunk:',
      '        break',
      '    out += chunk',
      'os.waitpid(pid, 0)',
      'sys.stdout.write(out.decode())',
    ].join('\n');
    const child = spawn('python3', ['-c', script, process.execPath, ...ANYCHAT_COMMAND, 'chat', '--backend', 'echo'], {
      env: Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('ANYCHAT_'))),
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 0);
    // The terminal turns "\n" into "\r\n"; readline may move the cursor back to after "You: " first.
    // eslint-disable-next-line no-control-regex -- the terminal's cursor escape is what is matched
    assert.match(output, /You: (\x1b\[\d+G)?\r?\n$/, JSON.stringify(output.slice(-40)));
  });
});
