/**
 * Helpers for replaying recorded streams: read a `*.chunks.txt` fixture (one SSE data payload per
 * line), turn payloads into the bytes a server sends, and feed bytes split at chosen positions.
 */
import { readFileSync } from 'node:fs';

export function readChunksFixture(fixtureUrl: URL): string[] {
  return readFileSync(fixtureUrl, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '');
}

/** `dataPrefix`: `data:` as TGI writes it, `data: ` as OpenAI-compatible servers do. */
export function sseBytes(payloads: readonly string[], dataPrefix = 'data: '): Uint8Array {
  return new TextEncoder().encode(payloads.map((payload) => `${dataPrefix}${payload}\n\n`).join(''));
}

/** The bytes as chunks cut at `positions` (sorted, deduplicated, out-of-range ones ignored). */
export async function* splitBytes(bytes: Uint8Array, positions: readonly number[] = []): AsyncGenerator<Uint8Array> {
  const cuts = [...new Set(positions.filter((position) => position > 0 && position < bytes.length))].sort((a, b) => a - b);
  let start = 0;
  for (const cut of [...cuts, bytes.length]) {
    yield bytes.subarray(start, cut);
    start = cut;
  }
}

export async function collectAll<T>(items: AsyncIterable<T>): Promise<T[]> {
  const collected: T[] = [];
  for await (const item of items) collected.push(item);
  return collected;
}
