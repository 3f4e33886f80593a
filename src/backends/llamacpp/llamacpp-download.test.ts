import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureTestModel } from '../../../scripts/test-models/ensure-test-model.ts';
import type { DownloadProgressReport } from './resolve-model-path.ts';
import { createLlamaCppBackend } from './llamacpp-backend.ts';

/**
 * The path `serve` takes for `--model hf:…`: the backend downloads the GGUF from a Hugging Face
 * endpoint (HF_ENDPOINT, here a loopback server), reports progress through the hook the page's
 * progress bar reads, then loads the file with real llama.cpp.
 */
describe('llamacpp backend with an hf: model', () => {
  let modelBytes: Buffer;
  let server: Server;
  let directory: string;
  const requestedPaths: string[] = [];
  const previousEndpoint = process.env.HF_ENDPOINT;
  before(async () => {
    modelBytes = await readFile(await ensureTestModel('tiny'));
    directory = await mkdtemp(join(tmpdir(), 'anychat-hf-model-'));
    server = createServer((request, response) => {
      const path = new URL(request.url ?? '/', 'http://x').pathname;
      if (request.method === 'GET') requestedPaths.push(path);
      if (!path.endsWith('.gguf')) {
        response.writeHead(200).end();
        return;
      }
      const range = /^bytes=(\d+)-(\d*)$/.exec(request.headers.range ?? '');
      const start = range ? Number(range[1]) : 0;
      const end = range?.[2] ? Math.min(Number(range[2]), modelBytes.length - 1) : modelBytes.length - 1;
      response.writeHead(range ? 206 : 200, {
        'accept-ranges': 'bytes',
        'content-length': end + 1 - start,
        ...(range ? { 'content-range': `bytes ${start}-${end}/${modelBytes.length}` } : {}),
      });
      response.end(request.method === 'HEAD' ? undefined : modelBytes.subarray(start, end + 1));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    process.env.HF_ENDPOINT = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  after(async () => {
    if (previousEndpoint === undefined) delete process.env.HF_ENDPOINT;
    else process.env.HF_ENDPOINT = previousEndpoint;
    server.closeAllConnections();
    server.close();
    await rm(directory, { recursive: true, force: true });
  });

  it('downloads it with progress for the page and loads it', async () => {
    const reported: DownloadProgressReport[] = [];
    const backend = await createLlamaCppBackend(
      { backend: 'llamacpp', model: 'hf:someone/tiny-GGUF/tiny.gguf', modelCacheDirectory: directory, threads: 1, contextSize: 256 },
      { onDownloadProgress: (progress) => reported.push(progress) },
    );
    try {
      assert.deepEqual(requestedPaths.filter((path) => path.endsWith('.gguf')).slice(0, 1), ['/someone/tiny-GGUF/resolve/main/tiny.gguf']);
      assert.deepEqual(reported.at(-1), { receivedBytes: modelBytes.length, totalBytes: modelBytes.length });
      assert.equal((await backend.info()).modelId, 'hf_someone_tiny.gguf');
      assert.ok((await backend.countTokens('hello there')) > 0, 'the downloaded model tokenizes');
    } finally {
      await backend.close();
    }
  });
});
