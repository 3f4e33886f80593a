/**
 * anychat says it runs on the Node.js that package.json's `engines` names (and README repeats). Every
 * package the lock file installs must accept the oldest such version too, or `npm install` warns
 * (EBADENGINE) and the package may use what that Node lacks: cookie, content-disposition and
 * katex's commander once required Node 22 while anychat claimed 20.19 (now pinned by `overrides`).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import semver from 'semver';

const root = new URL('../../', import.meta.url);
const packageJson = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { engines: { node: string } };
const lock = JSON.parse(readFileSync(new URL('package-lock.json', root), 'utf8')) as {
  packages: Record<string, { engines?: { node?: string } | string[]; optional?: boolean }>;
};

describe('the Node.js version anychat claims', () => {
  const oldest = semver.minVersion(packageJson.engines.node);

  it('is a version range with a lower bound', () => {
    assert.ok(oldest, `engines.node ${packageJson.engines.node} has no oldest version`);
  });

  it('is accepted by every package the lock file installs', () => {
    const refusing = Object.entries(lock.packages)
      .filter(([path]) => path !== '')
      .flatMap(([path, entry]) => {
        const range = Array.isArray(entry.engines) ? undefined : entry.engines?.node;
        return range && oldest && !semver.satisfies(oldest, range) ? [`${path.replace(/^.*node_modules\//, '')} needs Node ${range}`] : [];
      });
    assert.deepEqual(refusing, [], `Node ${oldest?.version} is refused by:\n${refusing.join('\n')}`);
  });
});
