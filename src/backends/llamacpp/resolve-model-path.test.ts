import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { BackendError } from '../backend.ts';
import type { KnownModelFile } from './default-model.ts';
import { DEFAULT_MODEL } from './default-model.ts';
import { resolveModelPath, type DownloadProgressReport, type ResolveModelOptions } from './resolve-model-path.ts';
import { waitFor } from '../../../test/support/wait-for.ts';

/**
 * A stand-in for a model file: GGUF magic, then random bytes. Larger than ipull's 5 MiB chunk, so
 * a download cut in its second chunk resumes with a Range request rather than starting over.
 */
const CHUNK_BYTES = 5 * 1024 * 1024;
const modelBytes = Buffer.concat([Buffer.from('GGUF', 'latin1'), randomBytes(CHUNK_BYTES + 512 * 1024)]);
const modelSha256 = createHash('sha256').update(modelBytes).digest('hex');
const REVISION = '0123456789abcdef0123456789abcdef01234567';

interface ServedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

/**
 * Serves `modelBytes` at any `.gguf` path like Hugging Face's CDN: HEAD, and `Range: bytes=N-` or
 * `bytes=N-M` with 206. It can be told to require a token (a gated repository) and to cut the
 * connection part-way through the next ranged response, as a dropped Wi-Fi link would.
 */
function startFileServer(): Promise<{
  server: Server;
  baseUrl: string;
  requests: ServedRequest[];
  requireToken: (token: string | null) => void;
  cutNextRangeFrom: (offset: number) => void;
  stallRangesFrom: (offset: number | null) => void;
}> {
  const requests: ServedRequest[] = [];
  let requiredToken: string | null = null;
  let cutFrom: number | null = null;
  let stallFrom: number | null = null;
  const server = createServer((httpRequest, response) => {
    requests.push({ method: httpRequest.method ?? '', url: httpRequest.url ?? '', headers: httpRequest.headers });
    if (!new URL(httpRequest.url ?? '/', 'http://x').pathname.endsWith('.gguf')) {
      response.writeHead(404).end();
      return;
    }
    if (requiredToken !== null && httpRequest.headers.authorization !== `Bearer ${requiredToken}`) {
      response.writeHead(401).end();
      return;
    }
    const range = /^bytes=(\d+)-(\d*)$/.exec(httpRequest.headers.range ?? '');
    const start = range ? Number(range[1]) : 0;
    const end = range?.[2] ? Math.min(Number(range[2]), modelBytes.length - 1) : modelBytes.length - 1;
    const body = modelBytes.subarray(start, end + 1);
    response.writeHead(range ? 206 : 200, {
      'accept-ranges': 'bytes',
      'content-length': body.length,
      ...(range ? { 'content-range': `bytes ${start}-${end}/${modelBytes.length}` } : {}),
    });
    if (httpRequest.method === 'HEAD') {
      response.end();
      return;
    }
    if (stallFrom !== null && range && start === stallFrom) {
      // Half of this chunk, then nothing: a link that hangs until the client gives up.
      response.write(body.subarray(0, body.length / 2));
      return;
    }
    if (cutFrom !== null && range && start === cutFrom) {
      cutFrom = null;
      // Half of this chunk, then the link drops.
      response.write(body.subarray(0, body.length / 2), () => response.destroy());
      return;
    }
    response.end(body);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        server,
        baseUrl: `http://127.0.0.1:${port}/`,
        requests,
        requireToken: (token) => (requiredToken = token),
        cutNextRangeFrom: (offset) => (cutFrom = offset),
        stallRangesFrom: (offset) => (stallFrom = offset),
      });
    });
  });
}

describe('model download through node-llama-cpp resolveModelFile', () => {
  let fileServer: Awaited<ReturnType<typeof startFileServer>>;
  let directory: string;
  const downloads = (): ServedRequest[] => fileServer.requests.filter((request) => request.method === 'GET');
  const optionsFor = (extra: Partial<ResolveModelOptions> = {}): ResolveModelOptions => ({
    cacheDirectory: directory,
    huggingFaceEndpoint: fileServer.baseUrl,
    progress: false,
    environment: {},
    ...extra,
  });
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
    fileServer.requireToken(null);
    fileServer.stallRangesFrom(null);
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('pins the default model to a commit, not resolve/main', () => {
    assert.match(DEFAULT_MODEL.reference, /^hf:Qwen\/Qwen2\.5-0\.5B-Instruct-GGUF\/qwen2\.5-0\.5b-instruct-q8_0\.gguf#[0-9a-f]{40}$/);
  });

  it('downloads an hf: reference into the cache with progress, and reuses it the second time', async () => {
    const reported: DownloadProgressReport[] = [];
    const options = optionsFor({ onProgress: (progress) => reported.push(progress) });
    const path = await resolveModelPath('hf:someone/tiny-GGUF/tiny-q8_0.gguf', options);
    assert.deepEqual(await readFile(path), modelBytes);
    assert.equal(new URL(downloads()[0]?.url ?? '', fileServer.baseUrl).pathname, '/someone/tiny-GGUF/resolve/main/tiny-q8_0.gguf');
    // The page's progress bar: it climbs and ends at the whole file.
    assert.ok(reported.length > 0, 'progress was reported');
    assert.deepEqual(reported.at(-1), { receivedBytes: modelBytes.length, totalBytes: modelBytes.length });
    for (let index = 1; index < reported.length; index++) {
      assert.ok(reported[index]!.receivedBytes >= reported[index - 1]!.receivedBytes, 'progress never goes back');
    }
    const requestsBefore = fileServer.requests.length;
    assert.equal(await resolveModelPath('hf:someone/tiny-GGUF/tiny-q8_0.gguf', options), path);
    assert.equal(fileServer.requests.length, requestsBefore, 'no request for a file already in the cache');
  });

  it('downloads the default model at its pinned revision and checks its SHA-256', async () => {
    const pinned: KnownModelFile = { reference: `hf:someone/tiny-GGUF/tiny-q8_0.gguf#${REVISION}`, sizeBytes: modelBytes.length, sha256: modelSha256 };
    const path = await resolveModelPath(undefined, optionsFor({ defaultModel: pinned }));
    assert.deepEqual(await readFile(path), modelBytes);
    assert.equal(path, join(directory, `hf_someone_tiny-GGUF_${REVISION}_tiny-q8_0.gguf`), 'each revision has its own file');
    assert.equal(new URL(downloads()[0]?.url ?? '', fileServer.baseUrl).pathname, `/someone/tiny-GGUF/resolve/${REVISION}/tiny-q8_0.gguf`);
    // The same file named without a revision is still fetched, and checked, at the pinned one.
    assert.equal(await resolveModelPath('hf:someone/tiny-GGUF/tiny-q8_0.gguf', optionsFor({ defaultModel: pinned })), path);
  });

  it('refuses and deletes a default model whose checksum does not match', async () => {
    const wrongSha256 = createHash('sha256').update('something else').digest('hex');
    const pinned: KnownModelFile = { reference: `hf:someone/tiny-GGUF/tiny-q8_0.gguf#${REVISION}`, sizeBytes: modelBytes.length, sha256: wrongSha256 };
    await assert.rejects(resolveModelPath(undefined, optionsFor({ defaultModel: pinned })), (error: unknown) => {
      assert.ok(error instanceof BackendError);
      assert.equal(error.code, 'model-load');
      assert.match(error.message, /SHA-256/);
      assert.ok(error.message.includes(wrongSha256));
      assert.match(error.message, /deleted/);
      return true;
    });
    assert.ok(downloads().length > 0, 'the file was downloaded before it was checked');
    assert.deepEqual(await readdir(directory), [], 'the refused file is gone, and nothing marks it as checked');
  });

  it('sends HF_TOKEN, or else HF_API_KEY, to a gated repository', async () => {
    fileServer.requireToken('secret-token');
    const path = await resolveModelPath('hf:someone/gated-GGUF/tiny-q8_0.gguf', optionsFor({ environment: { HF_TOKEN: 'secret-token' } }));
    assert.deepEqual(await readFile(path), modelBytes);
    assert.ok(downloads().every((request) => request.headers.authorization === 'Bearer secret-token'));

    await resolveModelPath('hf:someone/gated-GGUF/other-q8_0.gguf', optionsFor({ environment: { HF_API_KEY: 'secret-token' } }));
    assert.equal(downloads().at(-1)?.headers.authorization, 'Bearer secret-token');
  });

  it('says a gated repository needs HF_TOKEN when none is set', async () => {
    fileServer.requireToken('secret-token');
    await assert.rejects(resolveModelPath('hf:someone/gated-GGUF/tiny-q8_0.gguf', optionsFor()), (error: unknown) => {
      assert.ok(error instanceof BackendError);
      assert.equal(error.code, 'unauthorized');
      assert.match(error.message, /HTTP 401/);
      assert.match(error.message, /HF_TOKEN/);
      return true;
    });
  });

  it('resumes a download cut part-way with a Range request from the chunk it reached', async () => {
    fileServer.cutNextRangeFrom(CHUNK_BYTES);
    const path = await resolveModelPath('hf:someone/tiny-GGUF/tiny-q8_0.gguf', optionsFor());
    assert.deepEqual(await readFile(path), modelBytes);
    const fromSecondChunk = downloads().filter((request) => request.headers.range?.startsWith(`bytes=${CHUNK_BYTES}-`));
    assert.equal(fromSecondChunk.length, 2, 'the cut chunk was asked for again, not the whole file');
    assert.equal(downloads().filter((request) => request.headers.range?.startsWith('bytes=0-')).length, 1, 'the first chunk was fetched once');
  });

  it('resumes, on the next run, a download stopped part-way', async () => {
    fileServer.stallRangesFrom(CHUNK_BYTES);
    const stop = new AbortController();
    const partial = join(directory, 'hf_someone_tiny-q8_0.gguf.ipull');
    const stopped = resolveModelPath('hf:someone/tiny-GGUF/tiny-q8_0.gguf', optionsFor({ signal: stop.signal }));
    // ipull appends its progress record after the file's bytes once the first chunk is complete.
    await waitFor(async () => existsSync(partial) && (await stat(partial)).size > modelBytes.length, { what: 'the first chunk to be recorded' });
    stop.abort();
    await assert.rejects(stopped);
    assert.ok(existsSync(partial), 'the partial download is kept');

    fileServer.stallRangesFrom(null);
    const requestsBefore = downloads().length;
    const path = await resolveModelPath('hf:someone/tiny-GGUF/tiny-q8_0.gguf', optionsFor());
    assert.deepEqual(await readFile(path), modelBytes);
    const ranges = downloads().slice(requestsBefore).map((request) => request.headers.range).filter((range) => range !== undefined);
    assert.ok(ranges.length > 0 && ranges.every((range) => range.startsWith(`bytes=${CHUNK_BYTES}-`)), `only the missing chunk is fetched again: ${ranges.join(', ')}`);
  });

  it('names a reference it cannot read, and a file the repository does not have', async () => {
    await assert.rejects(resolveModelPath('hf:just-a-repo', optionsFor()), (error: unknown) => {
      assert.ok(error instanceof BackendError);
      assert.match(error.message, /"hf:just-a-repo" is not a usable Hugging Face reference/);
      assert.match(error.message, /expected hf:owner\/repo\/file\.gguf/);
      return true;
    });
    await assert.rejects(resolveModelPath('hf:someone/tiny-GGUF/missing.bin.gguf.txt', optionsFor()), (error: unknown) => {
      assert.ok(error instanceof BackendError);
      assert.equal(error.code, 'upstream');
      assert.match(error.message, /HTTP 404/);
      return true;
    });
  });

  it('says there is no network and what to do instead when the host is unreachable', async () => {
    // A port that was just free: nothing listens there, so the connection is refused.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));

    await assert.rejects(resolveModelPath(undefined, optionsFor({ huggingFaceEndpoint: `http://127.0.0.1:${port}/` })), (error: unknown) => {
      assert.ok(error instanceof BackendError);
      assert.equal(error.code, 'unreachable');
      assert.match(error.message, /no network/);
      assert.match(error.message, /--model PATH/);
      assert.match(error.message, /--endpoint URL/);
      assert.doesNotMatch(error.message, /\n/, 'one plain line');
      return true;
    });
  });
});
