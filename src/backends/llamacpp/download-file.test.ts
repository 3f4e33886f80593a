import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { BackendError } from '../backend.ts';
import { downloadFile } from './download-file.ts';
import { huggingFaceDownloadUrl, parseHuggingFaceReference } from './hugging-face-reference.ts';
import { resolveModelPath } from './resolve-model-path.ts';
import { waitFor } from '../../../test/support/wait-for.ts';

/** A small stand-in for a model file: GGUF magic, then random bytes. */
const modelBytes = Buffer.concat([Buffer.from('GGUF', 'latin1'), randomBytes(256 * 1024)]);
const modelSha256 = createHash('sha256').update(modelBytes).digest('hex');

interface ServedRequest {
  url: string;
  headers: IncomingHttpHeaders;
}

/**
 * Serves `modelBytes` like a CDN: honours `Range: bytes=N-` with 206, and can be told to cut the
 * connection part-way through the next response, as a dropped Wi-Fi link would.
 */
function startFileServer(): Promise<{
  server: Server;
  baseUrl: string;
  requests: ServedRequest[];
  cutNextAfter: (bytes: number, whenReceived: () => Promise<void>) => void;
}> {
  const requests: ServedRequest[] = [];
  let cut: { bytes: number; whenReceived: () => Promise<void> } | null = null;
  const server = createServer((httpRequest, response) => {
    requests.push({ url: httpRequest.url ?? '', headers: httpRequest.headers });
    if (!httpRequest.url?.endsWith('.gguf')) {
      response.writeHead(404).end();
      return;
    }
    const range = /^bytes=(\d+)-$/.exec(httpRequest.headers.range ?? '');
    const start = range ? Number(range[1]) : 0;
    if (start >= modelBytes.length) {
      response.writeHead(416, { 'content-range': `bytes */${modelBytes.length}` }).end();
      return;
    }
    const body = modelBytes.subarray(start);
    response.writeHead(range ? 206 : 200, {
      'content-length': body.length,
      ...(range ? { 'content-range': `bytes ${start}-${modelBytes.length - 1}/${modelBytes.length}` } : {}),
    });
    if (cut !== null) {
      const { bytes, whenReceived } = cut;
      cut = null;
      // Cut only once the client has the first part, as when a link drops mid-transfer.
      response.write(body.subarray(0, bytes), () => void whenReceived().finally(() => response.destroy()));
      return;
    }
    response.end(body);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({ server, baseUrl: `http://127.0.0.1:${port}`, requests, cutNextAfter: (bytes, whenReceived) => (cut = { bytes, whenReceived }) });
    });
  });
}

async function waitForFileSize(path: string, size: number): Promise<void> {
  await waitFor(async () => existsSync(path) && (await stat(path)).size >= size, { what: `${path} to reach ${size} bytes` });
}

describe('model download', () => {
  let fileServer: Awaited<ReturnType<typeof startFileServer>>;
  let directory: string;
  before(async () => {
    fileServer = await startFileServer();
  });
  after(() => {
    fileServer.server.closeAllConnections();
    fileServer.server.close();
  });
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'anychat-download-'));
    fileServer.requests.length = 0;
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('resolves hf:owner/repo/file.gguf to the resolve/main URL', () => {
    const reference = parseHuggingFaceReference('hf:Qwen/Qwen2.5-0.5B-Instruct-GGUF/qwen2.5-0.5b-instruct-q8_0.gguf');
    assert.equal(
      huggingFaceDownloadUrl(reference),
      'https://huggingface.co/Qwen/Qwen2.5-0.5B-Instruct-GGUF/resolve/main/qwen2.5-0.5b-instruct-q8_0.gguf',
    );
    assert.throws(() => parseHuggingFaceReference('hf:just-a-repo'), /expected hf:owner\/repo\/file\.gguf/);
  });

  it('downloads an hf: reference into the cache and reuses it the second time', async () => {
    const reported: Array<{ receivedBytes: number; totalBytes: number | null }> = [];
    const options = { cacheDirectory: directory, huggingFaceBaseUrl: fileServer.baseUrl, progress: false, onProgress: (progress: { receivedBytes: number; totalBytes: number | null }) => reported.push(progress) };
    const path = await resolveModelPath('hf:someone/tiny-GGUF/tiny-q8_0.gguf', options);
    // The page's progress bar: it starts at 0 and ends at the whole file.
    assert.deepEqual(reported[0], { receivedBytes: 0, totalBytes: modelBytes.length });
    assert.deepEqual(reported.at(-1), { receivedBytes: modelBytes.length, totalBytes: modelBytes.length });
    assert.equal(path, join(directory, 'someone', 'tiny-GGUF', 'tiny-q8_0.gguf'));
    assert.deepEqual(await readFile(path), modelBytes);
    assert.equal(fileServer.requests[0]?.url, '/someone/tiny-GGUF/resolve/main/tiny-q8_0.gguf');
    await resolveModelPath('hf:someone/tiny-GGUF/tiny-q8_0.gguf', options);
    assert.equal(fileServer.requests.length, 1, 'no second request for a file already in the cache');
  });

  it('resumes a cut download with a Range request and verifies the whole file', async () => {
    const destination = join(directory, 'model.gguf');
    const options = { url: `${fileServer.baseUrl}/m/model.gguf`, destination, expectedSizeBytes: modelBytes.length, expectedSha256: modelSha256 };
    fileServer.cutNextAfter(100_000, () => waitForFileSize(`${destination}.partial`, 100_000));
    await assert.rejects(downloadFile(options), (error: unknown) => error instanceof BackendError && error.code === 'stream-cut');
    assert.ok(!existsSync(destination), 'an incomplete file is never put in place');
    const saved = (await stat(`${destination}.partial`)).size;
    assert.equal(saved, 100_000, 'kept what arrived before the cut');

    await downloadFile(options);
    assert.equal(fileServer.requests.at(-1)?.headers.range, `bytes=${saved}-`);
    assert.deepEqual(await readFile(destination), modelBytes);
    assert.ok(!existsSync(`${destination}.partial`));
  });

  it('refuses and deletes a file whose checksum does not match', async () => {
    const destination = join(directory, 'model.gguf');
    const wrongSha256 = createHash('sha256').update('something else').digest('hex');
    await assert.rejects(
      downloadFile({ url: `${fileServer.baseUrl}/m/model.gguf`, destination, expectedSizeBytes: modelBytes.length, expectedSha256: wrongSha256 }),
      (error: unknown) => {
        assert.ok(error instanceof BackendError);
        assert.equal(error.code, 'model-load');
        assert.match(error.message, /SHA-256/);
        assert.ok(error.message.includes(wrongSha256));
        return true;
      },
    );
    assert.ok(!existsSync(destination));
    assert.ok(!existsSync(`${destination}.partial`));
  });

  it('says there is no network and what to do instead when the host is unreachable', async () => {
    // A port that was just free: nothing listens there, so the connection is refused.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));

    await assert.rejects(
      resolveModelPath(undefined, { cacheDirectory: directory, huggingFaceBaseUrl: `http://127.0.0.1:${port}`, progress: false }),
      (error: unknown) => {
        assert.ok(error instanceof BackendError);
        assert.equal(error.code, 'unreachable');
        assert.match(error.message, /no network/);
        assert.match(error.message, /--model PATH/);
        assert.match(error.message, /--endpoint URL/);
        return true;
      },
    );
  });

  after(async () => {
    await rm(directory, { recursive: true, force: true });
  });
});
