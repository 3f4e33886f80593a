import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { renderPlainPrompt } from '../../src/chat/templates/plain-template.ts';
import { messagesFromHistory } from '../../src/chat/message.ts';
import { finished, runAnychat, startAnychat } from './run-anychat.ts';
import { waitForOutput } from '../support/wait-for.ts';

describe('anychat ask', () => {
  it('streams the answer to stdout', async () => {
    const result = await runAnychat(['ask', '--backend', 'echo', 'Has math been invented or discovered?']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'Has math been invented or discovered?\n');
  });

  it('reads the question from stdin and applies --stop with escapes', async () => {
    const result = await runAnychat(['ask', '--backend', 'echo', '--stop', '\\nUser:', '--stats'], { stdin: 'The elephant.\nUser: why?' });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'The elephant.\n');
    assert.match(result.stderr, /finish: stop/);
  });

  it('exits 2 with a one-line message for bad usage', async () => {
    for (const args of [
      ['ask', '--backend', 'echo', '--temperature', '-1', 'x'],
      ['ask', '--backend', 'echo', '--top-p', '2', 'x'],
      ['ask', '--backend', 'echo', '--stop', 'a', '--stop', 'b', '--stop', 'c', '--stop', 'd', '--stop', 'e', 'x'],
      ['ask', '--backend', 'tgi', 'x'],
      ['ask', '--no-such-flag'],
      ['ask', '--backend', 'echo', '   '],
      ['ask', '--backend', 'echo', '--timeout', '0', 'x'],
    ]) {
      const result = await runAnychat(args);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
    }
    const temperature = await runAnychat(['ask', '--backend', 'echo', '--temperature', '-1', 'x']);
    assert.equal(temperature.stderr, 'anychat: --temperature must be ≥ 0 (0 means greedy), got -1\n');
  });

  it('exits 1 with a clear message when the endpoint is unreachable', async () => {
    const result = await runAnychat(['ask', '--backend', 'tgi', '--endpoint', 'http://127.0.0.1:9', 'hello']);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /127\.0\.0\.1:9/);
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
  });

  it('prints help', async () => {
    const result = await runAnychat(['ask', '--help']);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /--max-new-tokens/);
    assert.match(result.stdout, /--backend/);
  });
});

describe('anychat render-prompt', () => {
  it("prints exactly the lesson's prompt, and nothing else, for random input", async () => {
    const text = fc.string({ unit: fc.constantFrom('a', ' ', '\n', 'User:', 'é', '🦙', '"', '\\') , maxLength: 12 });
    const samples = fc.sample(fc.record({ system: text, history: fc.array(fc.tuple(text, text), { maxLength: 3 }), message: text }), { numRuns: 8, seed: 42 });
    for (const input of samples) {
      const result = await runAnychat(['render-prompt', '--template', 'plain'], { stdin: JSON.stringify(input) });
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, renderPlainPrompt(messagesFromHistory(input)));
    }
  });

  it('refuses input that is not the documented JSON, naming the problem', async () => {
    const notJson = await runAnychat(['render-prompt', '--template', 'plain'], { stdin: '{nope' });
    assert.equal(notJson.code, 2);
    assert.match(notJson.stderr, /stdin is not valid JSON/);
    const wrongShape = await runAnychat(['render-prompt', '--template', 'plain'], { stdin: '{"history": [["only one"]], "message": "x"}' });
    assert.equal(wrongShape.code, 2);
    assert.match(wrongShape.stderr, /history\.0/);
    assert.equal(wrongShape.stdout, '');
    const toolWithoutName = await runAnychat(['render-prompt', '--template', 'plain'], { stdin: '{"message": "x", "tools": [{"type": "function", "function": {"description": "no name"}}]}' });
    assert.equal(toolWithoutName.code, 2);
    assert.match(toolWithoutName.stderr, /tools\.0\.function\.name/);
    assert.equal(toolWithoutName.stdout, '');
  });

  it('refuses tools with the plain template, which has no place for them', async () => {
    const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: {} } } }];
    const result = await runAnychat(['render-prompt', '--template', 'plain'], { stdin: JSON.stringify({ message: 'x', tools }) });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^anychat: the lesson's plain template has no place for tools; use --template model/);
    assert.equal(result.stdout, '');
  });
});

describe('anychat chat', () => {
  it('keeps chatting after slash commands and ends on /exit', async () => {
    const result = await runAnychat(['chat', '--backend', 'echo'], { stdin: 'hello there\n/system be brief\n/temperature hot\nsecond one\n/exit\n' });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /Assistant: hello there\n/);
    assert.match(result.stdout, /System message set\./);
    assert.match(result.stdout, /temperature must be a number ≥ 0 \(0 means greedy\), got "hot"/);
    assert.match(result.stdout, /Assistant: second one\n/);
  });

  it('Ctrl+C stops the current answer, not the program', async () => {
    const child = startAnychat(['chat', '--backend', 'echo', '--echo-delay', '40']);
    const done = finished(child);
    const long = Array.from({ length: 200 }, (_, index) => `w${index}`).join(' ');
    const answering = waitForOutput(child.stdout, 'w3');
    child.stdin.write(`${long}\n`);
    await answering;
    // The next line goes in once the answer has stopped, so it is the next question and not cut too.
    const stopped = waitForOutput(child.stderr, 'finish: stopped');
    child.kill('SIGINT');
    await stopped;
    child.stdin.write('after the interrupt\n/exit\n');
    const result = await done;
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /finish: stopped/, 'the page’s word for a stopped answer');
    assert.doesNotMatch(result.stdout, /w199/);
    assert.match(result.stdout, /Assistant: after the interrupt\n/);
  });
});

describe('anychat serve with a database it cannot open', () => {
  // The timeout is the hang guard: before the fix, serve reported the failure and never exited.
  it('exits 1 with where the folder is and what to do, instead of hanging on PGlite’s timers', { timeout: 60_000 }, async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'anychat-damaged-'));
    // What a damaged folder looks like to PGlite: the version marker without the database files.
    await mkdir(path.join(dataDir, 'pglite'), { recursive: true });
    await writeFile(path.join(dataDir, 'pglite', 'PG_VERSION'), '17\n');
    try {
      const result = await runAnychat(['serve', '--backend', 'echo', '--port', '0', '--data-dir', dataDir]);
      assert.equal(result.code, 1);
      assert.match(result.stderr, /could not open the conversation database/);
      assert.match(result.stderr, /holds your conversations: if it is damaged, move it aside/);
      assert.ok(result.stderr.includes(path.join(dataDir, 'pglite')));
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
