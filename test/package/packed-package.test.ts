/**
 * What `npm pack` ships, installed as a user installs it: the tarball into an empty folder, then
 * `npx anychat`. It packs a copy of the clone, so its build from nothing never touches the dist/
 * and web/dist/ that the other tests run beside it.
 *
 * Chat templates must render as jinja2 does, so anychat runs @huggingface/jinja with
 * patches/@huggingface+jinja+*.patch applied. patch-package only patches the project it runs in: as
 * a dependency's postinstall it looked for node_modules/anychat/node_modules/@huggingface/jinja, found
 * nothing (npm hoists it), and either failed the install (CI=true) or left anychat on the unpatched
 * library. So the package bundles the patched copy (`bundleDependencies`): npm packs the clone's
 * node_modules/@huggingface/jinja, patched by `prepare` (which `npm pack` runs), and installs it nested
 * under anychat, where only anychat resolves it; node-llama-cpp keeps its own, unpatched copy. Neither
 * a second build nor an import alias is needed, and a user's install runs no script of anychat's.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { z } from 'zod';
import { startFakeTgiServer } from '../fakes/fake-tgi-server.ts';

const run = promisify(execFile);

/** Runs the installed command (its bin, with plain Node) with `stdin`, as a pipe gives it. */
function runInstalledIn(installed: string, args: string[], stdin: string): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, [join(installed, 'bin', 'anychat.js'), ...args], { cwd: join(installed, '..', '..') }, (error, stdout, stderr) =>
      error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve({ stdout, stderr }),
    );
    child.stdin?.end(stdin);
  });
}
const repositoryRoot = fileURLToPath(new URL('../..', import.meta.url));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/**
 * The clone's files (tracked, and new ones git does not ignore) copied into `into`, with its
 * node_modules linked. `npm pack` builds dist/ and web/dist/ from nothing; done in the clone it
 * would pull them from under the test files running beside this one, which serve and run them.
 */
async function copyOfTheClone(into: string): Promise<string> {
  const { stdout } = await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: repositoryRoot, maxBuffer: 16 * 1024 * 1024 });
  const copy = join(into, 'clone');
  for (const path of stdout.split('\0').filter(Boolean)) {
    await mkdir(dirname(join(copy, path)), { recursive: true });
    // A file deleted in the working tree but not yet from the index is left out, as npm would.
    await copyFile(join(repositoryRoot, path), join(copy, path)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
  }
  await symlink(join(repositoryRoot, 'node_modules'), join(copy, 'node_modules'), 'dir');
  return copy;
}

interface PackedFile {
  path: string;
}

describe('the packed package', { timeout: 600_000 }, () => {
  let folder: string;
  let packedFiles: string[];
  let installed: string;
  const runInstalled = (args: string[], stdin: string) => runInstalledIn(installed, args, stdin);

  before(async () => {
    folder = await mkdtemp(join(tmpdir(), 'anychat-packed-'));
    // The real `npm pack`, prepack included: it builds dist/ and web/dist/ from nothing.
    const clone = await copyOfTheClone(folder);
    const { stdout } = await run(npm, ['pack', '--json', '--pack-destination', folder], { cwd: clone, maxBuffer: 16 * 1024 * 1024 });
    const [packed] = JSON.parse(stdout.slice(stdout.indexOf('['))) as { filename: string; files: PackedFile[] }[];
    assert.ok(packed, `npm pack printed no result: ${stdout}`);
    packedFiles = packed.files.map((file) => file.path);

    const project = join(folder, 'project');
    installed = join(project, 'node_modules', 'anychat');
    await mkdir(project);
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'uses-anychat', private: true }));
    // From npm's cache where it can. The llama.cpp binaries (optional, ~700 MB) are left out: the
    // echo backend needs none. --ignore-scripts skips only node-llama-cpp's (it would compile llama.cpp
    // for lack of them): anychat has no install script, which the test below checks.
    await run(npm, ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--omit=optional', join(folder, packed.filename)], {
      cwd: project,
      maxBuffer: 16 * 1024 * 1024,
    });
  });

  after(async () => {
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  it('holds compiled JavaScript and the built page, and no TypeScript, tests or scripts', () => {
    assert.ok(packedFiles.includes('bin/anychat.js'));
    assert.ok(packedFiles.includes('dist/cli/main.js'));
    // Bundled: the entry and its lazily loaded chunks (the server among them), not a file per source.
    assert.ok(packedFiles.some((path) => /^dist\/cli\/chunks\/build-app-\w+\.js$/.test(path)));
    const distFiles = packedFiles.filter((path) => path.startsWith('dist/'));
    assert.ok(distFiles.length < 100, `dist/ holds ${distFiles.length} files`);
    assert.ok(packedFiles.includes('web/dist/index.html'));
    // The bundled @huggingface/jinja ships as its authors packed it.
    const unwanted = packedFiles
      .filter((path) => !path.startsWith('node_modules/'))
      .filter((path) => /\.(ts|tsx|svelte|map)$/.test(path) || /(^|\/)(test|tests|__fixtures__|testing|scripts|src|bench)\//.test(path) || /\.test\.js$/.test(path));
    assert.deepEqual(unwanted, []);
  });

  it('bundles its patched @huggingface/jinja and has no install script that a user install would run', async () => {
    const manifest = z
      .object({ scripts: z.record(z.string(), z.string()).default({}), bundleDependencies: z.array(z.string()) })
      .parse(JSON.parse(await readFile(join(installed, 'package.json'), 'utf8')));
    assert.deepEqual(manifest.bundleDependencies, ['@huggingface/jinja']);
    const installScripts = Object.keys(manifest.scripts).filter((name) => ['preinstall', 'install', 'postinstall'].includes(name));
    assert.deepEqual(installScripts, []);
    assert.ok(packedFiles.includes('node_modules/@huggingface/jinja/dist/index.js'));
  });

  it('renders chat templates with the patched library, as jinja2 does', async () => {
    // Each part is one the unpatched library gets wrong (see jinja2-compatibility.test.ts, whose
    // outputs come from python3-jinja2): a loop over an undefined `tools` fails, `true` prints
    // "true", and str.format is unknown. Rendered by the installed command, as a user renders one:
    // a TGI endpoint takes text, so anychat renders the --chat-template itself.
    const template = "[{% for tool in tools %}{{ tool }}{% endfor %}] {{ true }} {{ '<{}>'.format(messages[0].content) }}";
    const templateFile = join(folder, 'template.jinja');
    await writeFile(templateFile, template);
    const tgi = await startFakeTgiServer();
    try {
      const rendered = await runInstalled(['render-prompt', '--template', 'model', '--endpoint', tgi.endpoint, '--chat-template', templateFile], '{"message":"hi"}');
      assert.equal(rendered.stdout, '[] True <hi>');
    } finally {
      await tgi.close();
    }
  });

  it('answers --help within 10× a bare node start', async () => {
    // Interleaved, best of five each: the fastest run is the one least disturbed by other work.
    const bareNode: number[] = [];
    const help: number[] = [];
    for (let round = 0; round < 5; round += 1) {
      bareNode.push(await timeCommand(process.execPath, ['-e', '0'], installed));
      help.push(await timeCommand(process.execPath, [join(installed, 'bin', 'anychat.js'), '--help'], installed));
    }
    const ratio = Math.min(...help) / Math.min(...bareNode);
    assert.ok(ratio < 10, `--help took ${Math.min(...help).toFixed(0)} ms, ${ratio.toFixed(1)}× a bare node start (${Math.min(...bareNode).toFixed(0)} ms)`);
    const { stdout } = await run('npx', ['--no-install', 'anychat', '--help'], { cwd: join(installed, '..', '..') });
    assert.match(stdout, /Usage: anychat/);
    assert.match(stdout, /serve \[options\]/);
  });

  it('serves the built page and /health with `npx anychat serve --backend echo`', async () => {
    const project = join(installed, '..', '..');
    const server = spawn('npx', ['--no-install', 'anychat', 'serve', '--backend', 'echo', '--port', '0', '--data-dir', join(folder, 'data')], {
      cwd: project,
      stdio: ['ignore', 'ignore', 'pipe'],
      // Its own process group: npx runs anychat as a child, which a SIGTERM to npx alone left running,
      // holding the stderr pipe open so that this test file never exited.
      detached: true,
    });
    try {
      const baseUrl = await listeningUrl(server);
      const health = await fetch(`${baseUrl}/health`);
      assert.equal(health.status, 200);
      const page = await fetch(`${baseUrl}/`);
      assert.equal(page.status, 200);
      assert.equal(await page.text(), await readFile(join(installed, 'web', 'dist', 'index.html'), 'utf8'));
    } finally {
      const closed = once(server, 'close');
      process.kill(-server.pid!, 'SIGTERM');
      await closed;
    }
  });
});

async function timeCommand(command: string, args: string[], cwd: string): Promise<number> {
  const started = performance.now();
  await run(command, args, { cwd });
  return performance.now() - started;
}

/** The URL the server prints on stderr once it listens; rejects with its output if it exits first. */
function listeningUrl(server: ReturnType<typeof spawn>): Promise<string> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    server.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      const url = /listening on (http:\/\/\S+)/.exec(stderr)?.[1];
      if (url) resolve(url);
    });
    server.once('exit', (code) => reject(new Error(`anychat serve exited with ${code} before listening:\n${stderr}`)));
  });
}
