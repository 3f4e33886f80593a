import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BackendError } from '../backend.ts';
import { createDownloadProgress } from './download-progress.ts';

export interface DownloadFileOptions {
  url: string;
  destination: string;
  /** Refuse the file unless it has exactly this many bytes. */
  expectedSizeBytes?: number | undefined;
  /** Refuse the file unless its SHA-256 (hex) matches. */
  expectedSha256?: string | undefined;
  progress?: boolean;
  /** Told of every chunk, so the server can show the page a progress bar while the model downloads. */
  onProgress?: ((progress: { receivedBytes: number; totalBytes: number | null }) => void) | undefined;
}

const OFFLINE_ADVICE = 'Pass --model PATH to use a GGUF file you already have, or --endpoint URL to chat through a running server.';

/**
 * Downloads into `<destination>.partial` and renames it into place only once it is complete and
 * verified (size, SHA-256 when known, GGUF magic), so a half-written file is never loaded. A
 * `.partial` left by an interrupted run is resumed with an HTTP Range request; a server that
 * ignores the range (200 instead of 206) gets a fresh start.
 */
export async function downloadFile(options: DownloadFileOptions): Promise<void> {
  const { url, destination, expectedSizeBytes, expectedSha256 } = options;
  if (await isComplete(destination, expectedSizeBytes)) return;
  await mkdir(dirname(destination), { recursive: true });
  const partial = `${destination}.partial`;
  let resumeFrom = existsSync(partial) ? (await stat(partial)).size : 0;
  if (expectedSizeBytes !== undefined && resumeFrom > expectedSizeBytes) {
    await rm(partial);
    resumeFrom = 0;
  }
  if (expectedSizeBytes === undefined || resumeFrom < expectedSizeBytes) {
    await fetchInto(url, partial, resumeFrom, options);
  }
  await verify(url, partial, expectedSizeBytes, expectedSha256);
  await rename(partial, destination);
}

async function fetchInto(url: string, partial: string, resumeFrom: number, options: DownloadFileOptions): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url, { headers: resumeFrom > 0 ? { Range: `bytes=${resumeFrom}-` } : {}, redirect: 'follow' });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new BackendError(
      'unreachable',
      `Cannot download the model from ${url}: no network connection (${cause?.code ?? cause?.message ?? (error as Error).message}). ${OFFLINE_ADVICE}`,
    );
  }
  if (response.status === 416 && resumeFrom > 0) return; // The partial file already holds every byte.
  if (response.status !== 200 && response.status !== 206) {
    throw new BackendError(
      response.status === 401 || response.status === 403 ? 'unauthorized' : 'upstream',
      `Cannot download the model from ${url}: the server answered HTTP ${response.status}. ${OFFLINE_ADVICE}`,
      response.status,
    );
  }
  const resuming = response.status === 206;
  const start = resuming ? resumeFrom : 0;
  const remaining = Number(response.headers.get('content-length') ?? Number.NaN);
  const total = options.expectedSizeBytes ?? (Number.isFinite(remaining) ? start + remaining : undefined);
  const progress = createDownloadProgress(options.progress === true, start, total);
  const body = response.body ? Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>) : Readable.from([]);
  let receivedBytes = start;
  options.onProgress?.({ receivedBytes, totalBytes: total ?? null });
  body.on('data', (chunk: Buffer) => {
    progress.advance(chunk.length);
    receivedBytes += chunk.length;
    options.onProgress?.({ receivedBytes, totalBytes: total ?? null });
  });
  try {
    await pipeline(body, createWriteStream(partial, { flags: resuming ? 'a' : 'w' }));
  } catch (error) {
    const saved = existsSync(partial) ? (await stat(partial)).size : 0;
    throw new BackendError(
      'stream-cut',
      `The download from ${url} was cut after ${saved} bytes (${(error as Error).message}). Run again to resume it.`,
    );
  } finally {
    progress.stop();
  }
}

async function verify(url: string, path: string, expectedSizeBytes: number | undefined, expectedSha256: string | undefined): Promise<void> {
  const { size } = await stat(path);
  if (expectedSizeBytes !== undefined && size !== expectedSizeBytes) {
    await rm(path, { force: true });
    throw new BackendError('model-load', `The file downloaded from ${url} has ${size} bytes, expected ${expectedSizeBytes}; it was deleted.`);
  }
  if (expectedSha256 !== undefined) {
    const hash = createHash('sha256');
    await pipeline(createReadStream(path), hash);
    const actual = hash.digest('hex');
    if (actual !== expectedSha256.toLowerCase()) {
      await rm(path, { force: true });
      throw new BackendError(
        'model-load',
        `The file downloaded from ${url} failed verification: SHA-256 ${actual}, expected ${expectedSha256}; it was deleted.`,
      );
    }
  }
  if (!(await startsWithGgufMagic(path))) {
    await rm(path, { force: true });
    throw new BackendError('model-load', `The file downloaded from ${url} is not a GGUF model file; it was deleted.`);
  }
}

async function isComplete(path: string, expectedSizeBytes: number | undefined): Promise<boolean> {
  if (!existsSync(path)) return false;
  // Files are verified before they are renamed into place; the size check catches later truncation.
  return expectedSizeBytes === undefined || (await stat(path)).size === expectedSizeBytes;
}

async function startsWithGgufMagic(path: string): Promise<boolean> {
  const file = await open(path, 'r');
  try {
    const magic = Buffer.alloc(4);
    await file.read(magic, 0, 4, 0);
    return magic.toString('latin1') === 'GGUF';
  } finally {
    await file.close();
  }
}
