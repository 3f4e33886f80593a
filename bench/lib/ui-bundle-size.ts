import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

export interface AssetSize {
  path: string;
  bytes: number;
  gzipBytes: number;
}

async function measure(distDirectory: string, path: string): Promise<AssetSize> {
  const content = await readFile(join(distDirectory, path));
  return { path, bytes: content.length, gzipBytes: gzipSync(content, { level: 9 }).length };
}

/**
 * What a first visit downloads: the scripts, module preloads and stylesheets index.html names.
 * Lazy chunks (highlight.js languages, KaTeX) are listed apart: they load only when an answer
 * has code or math.
 */
export async function measureBundle(distDirectory: string): Promise<{ firstLoad: AssetSize[]; lazy: AssetSize[] }> {
  const html = await readFile(join(distDirectory, 'index.html'), 'utf8');
  const firstLoadPaths = [
    ...html.matchAll(/<script[^>]*\ssrc="\.?\/?([^"]+)"/g),
    ...html.matchAll(/<link[^>]*rel="(?:stylesheet|modulepreload)"[^>]*href="\.?\/?([^"]+)"/g),
  ].map((match) => match[1]!);
  const allAssets = (await readdir(join(distDirectory, 'assets'))).filter((file) => /\.(js|css)$/.test(file)).map((file) => `assets/${file}`);
  const firstLoad = await Promise.all(['index.html', ...firstLoadPaths].map((path) => measure(distDirectory, path)));
  const lazy = await Promise.all(allAssets.filter((path) => !firstLoadPaths.includes(path)).map((path) => measure(distDirectory, path)));
  return { firstLoad, lazy: lazy.sort((left, right) => right.gzipBytes - left.gzipBytes) };
}
