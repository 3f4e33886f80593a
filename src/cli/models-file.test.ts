import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { configuredModels } from './configured-models.ts';
import { parseModelsFile } from './models-file.ts';
import { UsageError } from './usage-error.ts';

/** The message a models file is refused with: every case must name the entry and the field, and say what is right. */
function refusal(json: unknown): string {
  try {
    parseModelsFile(json, 'models.json');
  } catch (error) {
    assert.ok(error instanceof UsageError, `a UsageError (exit 2, one line), not ${String(error)}`);
    return error.message;
  }
  assert.fail('the file was accepted');
}

describe('the models file', () => {
  it('refuses bad files with the entry, the field and the fix', () => {
    const cases: Array<[unknown, RegExp]> = [
      [{}, /^the models file models\.json: models: must be a list of models$/],
      [{ models: [] }, /models: must name at least one model/],
      [{ models: [{ backend: 'echo' }] }, /models\[0\]: id: is required: the name clients pick the model by/],
      [{ models: [{ id: 'a b', backend: 'echo' }] }, /models\[0\] \("a b"\): id: must be 1 to 200 characters with no spaces/],
      [{ models: [{ id: 'x', backend: 'gpt' }] }, /models\[0\] \("x"\): backend: must be one of llamacpp, openai, tgi, echo/],
      [{ models: [{ id: 'parrot', backend: 'echo' }, { id: 'vllm', backend: 'openai', endpoint: 'ftp://host' }] }, /models\[1\] \("vllm"\): endpoint: must be an http\(s\) URL/],
      [{ models: [{ id: 'vllm', backend: 'openai' }] }, /models\[0\] \("vllm"\): endpoint: is required: the server’s URL/],
      [{ models: [{ id: 'local', backend: 'llamacpp' }] }, /models\[0\] \("local"\): model: is required: a GGUF path/],
      [{ models: [{ id: 'local', backend: 'llamacpp', model: 'a.gguf', threads: 0 }] }, /models\[0\] \("local"\): threads: must be a whole number ≥ 1/],
      [{ models: [{ id: 'local', backend: 'llamacpp', model: 'a.gguf', contextSize: 'big' }] }, /models\[0\] \("local"\): contextSize: must be a whole number ≥ 16/],
      [{ models: [{ id: 'local', backend: 'llamacpp', model: 'a.gguf', endpoint: 'http://x' }] }, /models\[0\] \("local"\): "endpoint" is not a field of a llamacpp model; it takes id, default, parallel/],
      [{ models: [{ id: 'tgi', backend: 'tgi', endpoint: 'http://x', apiKey: 'sk-123' }] }, /models\[0\] \("tgi"\): keys do not go in the models file: put the key in an environment variable and name it with "apiKeyEnv"/],
      [{ models: [{ id: 'tgi', backend: 'tgi', endpoint: 'http://x', apiKeyEnv: 'not a name' }] }, /apiKeyEnv: must be the name of an environment variable/],
      [{ models: [{ id: 'same', backend: 'echo' }, { id: 'same', backend: 'echo' }] }, /models\[1\] \("same"\): id is also used by an earlier entry/],
      [{ models: [{ id: 'a', backend: 'echo', default: true }, { id: 'b', backend: 'echo', default: true }] }, /"default": true is set on "a" and "b"; set it on one model only/],
      [{ models: [{ id: 'a', backend: 'echo', template: 'chatml' }] }, /models\[0\] \("a"\): template: must be "plain" or "model"/],
    ];
    for (const [json, expected] of cases) assert.match(refusal(json), expected, JSON.stringify(json));
  });

  it('takes the key from the variable apiKeyEnv names, and refuses a variable that is not set', () => {
    const folder = mkdtempSync(join(tmpdir(), 'anychat-models-file-'));
    const file = join(folder, 'models.json');
    writeFileSync(file, JSON.stringify({ models: [{ id: 'vllm', backend: 'openai', endpoint: 'http://127.0.0.1:9/v1', apiKeyEnv: 'VLLM_KEY' }] }));
    const { models } = configuredModels({ models: file }, { VLLM_KEY: 'from-the-environment', HF_TOKEN: 'not-for-this-endpoint' });
    assert.equal(models[0]!.settings.apiKey, 'from-the-environment');
    assert.throws(() => configuredModels({ models: file }, {}), /model "vllm": apiKeyEnv names VLLM_KEY, which is not set; set it/);
  });

  it('reads relative model paths from the file’s folder, and lets the flags fill what an entry leaves out', () => {
    const folder = mkdtempSync(join(tmpdir(), 'anychat-models-file-'));
    const file = join(folder, 'models.json');
    writeFileSync(file, JSON.stringify({ models: [{ id: 'a', backend: 'llamacpp', model: 'weights/a.gguf' }, { id: 'b', backend: 'llamacpp', model: 'b.gguf', threads: 2, default: true }] }));
    const { models, defaultModelId } = configuredModels({ models: file, threads: 3 }, {});
    assert.equal(models[0]!.settings.model, join(folder, 'weights/a.gguf'));
    assert.deepEqual(models.map((model) => model.settings.threads), [3, 2]);
    assert.equal(defaultModelId, 'b');
    assert.ok(models.every((model) => model.onDemand));
  });

  it('turns each per-model option into its backend’s settings, as the flags would', () => {
    const folder = mkdtempSync(join(tmpdir(), 'anychat-models-file-'));
    const file = join(folder, 'models.json');
    writeFileSync(join(folder, 'custom.jinja'), '{{ messages[0].content }}');
    writeFileSync(
      file,
      JSON.stringify({
        models: [
          { id: 'local', backend: 'llamacpp', model: 'a.gguf', threads: 2, contextSize: 1024, parallel: 3, chatTemplate: 'custom.jinja', template: 'model', reasoning: 'off', maxQueue: 5 },
          { id: 'remote', backend: 'tgi', endpoint: 'http://127.0.0.1:9', upstreamTimeout: 7 },
          { id: 'parrot', backend: 'echo', echoDelay: 25 },
        ],
      }),
    );
    const [local, remote, parrot] = configuredModels({ models: file, upstreamTimeout: 120 }, {}).models;
    assert.deepEqual(
      { threads: local!.settings.threads, contextSize: local!.settings.contextSize, parallel: local!.parallel, maxQueue: local!.maxQueue, template: local!.settings.template, reasoning: local!.settings.reasoning },
      { threads: 2, contextSize: 1024, parallel: 3, maxQueue: 5, template: 'model', reasoning: 'off' },
    );
    assert.equal(local!.settings.chatTemplate, '{{ messages[0].content }}');
    assert.match(local!.settings.chatTemplateName ?? '', /custom\.jinja/);
    assert.equal(remote!.settings.timeoutMs, 7000);
    assert.equal(remote!.settings.apiKey, undefined);
    assert.equal(parrot!.settings.echoDelayMs, 25);
  });

  it('adds every GGUF of --models-dir, and --model then names the default among them', () => {
    const folder = mkdtempSync(join(tmpdir(), 'anychat-models-dir-'));
    writeFileSync(join(folder, 'qwen.gguf'), 'GGUF');
    writeFileSync(join(folder, 'Llama.GGUF'), 'GGUF');
    writeFileSync(join(folder, 'notes.txt'), 'not a model');
    mkdirSync(join(folder, 'sub'));
    const { models, defaultModelId } = configuredModels({ modelsDir: folder, model: 'qwen' }, {});
    assert.deepEqual(models.map((model) => model.id), ['Llama', 'qwen']);
    assert.equal(defaultModelId, 'qwen');
    assert.throws(() => configuredModels({ modelsDir: folder, model: 'mistral' }, {}), /--model mistral is not among the configured models; with --models or --models-dir, --model names one of: Llama, qwen/);
    assert.throws(() => configuredModels({ modelsDir: join(folder, 'sub') }, {}), /--models-dir .*sub holds no \.gguf files/);
  });

  it('keeps --model and --endpoint alone working as a list of one, loaded at start', () => {
    const { models, defaultModelId } = configuredModels({ endpoint: 'http://127.0.0.1:8080' }, {});
    assert.equal(models.length, 1);
    assert.equal(defaultModelId, 'tgi');
    assert.equal(models[0]!.settings.backend, 'tgi');
    assert.equal(models[0]!.onDemand, false);
  });
});
