import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { newestModification } from './newest-modification.ts';

const repositoryRoot = fileURLToPath(new URL('..', import.meta.url));
const webRoot = join(repositoryRoot, 'web');
export const webDistIndex = join(webRoot, 'dist', 'index.html');

/** What the build reads: the page's sources and its build config. */
const buildInputs = ['src', 'public', 'index.html', 'share', 'vite.config.ts'].map((name) => join(webRoot, name));

/** Whether web/dist is missing or older than any file it is built from. */
export function isWebBuildStale(): boolean {
  if (!existsSync(webDistIndex)) return true;
  const sourcesChanged = Math.max(...buildInputs.map((input) => newestModification(input)));
  return sourcesChanged > statSync(webDistIndex).mtimeMs;
}

/**
 * Builds the chat page when web/dist is missing or stale, so `npm start` and the browser tests
 * never serve an old page. An installed package ships web/dist without web/src: nothing to do.
 */
export async function ensureWebBuild(options: { quiet?: boolean } = {}): Promise<'fresh' | 'built'> {
  if (!existsSync(join(webRoot, 'src')) || !isWebBuildStale()) return 'fresh';
  let vite: typeof import('vite');
  try {
    vite = await import('vite');
  } catch {
    if (existsSync(webDistIndex)) {
      console.warn('anychat: web/src changed but Vite is not installed (npm install --include=dev); serving the old build.');
      return 'fresh';
    }
    throw new Error('anychat: the chat page is not built and Vite is not installed: run `npm install` then `npm run build:web`.');
  }
  if (!options.quiet) console.log('anychat: building the chat page (web/dist)…');
  await vite.build({ configFile: join(webRoot, 'vite.config.ts'), logLevel: options.quiet ? 'error' : 'warn' });
  return 'built';
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await ensureWebBuild();
}
