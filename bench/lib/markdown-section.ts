import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';

/**
 * Replaces the text between `<!-- bench:NAME:start -->` and `<!-- bench:NAME:end -->` in a
 * Markdown file (appending the section when the markers are missing), leaving every other
 * section as it is: several benchmark programs write into the same BENCHMARKS.md.
 */
export async function replaceMarkdownSection(path: string, name: string, body: string): Promise<void> {
  const start = `<!-- bench:${name}:start -->`;
  const end = `<!-- bench:${name}:end -->`;
  const section = `${start}\n${body.trim()}\n${end}`;
  const current = existsSync(path) ? await readFile(path, 'utf8') : '# Benchmarks\n';
  const startIndex = current.indexOf(start);
  const endIndex = current.indexOf(end);
  const next =
    startIndex !== -1 && endIndex > startIndex
      ? current.slice(0, startIndex) + section + current.slice(endIndex + end.length)
      : `${current.trimEnd()}\n\n${section}\n`;
  await writeFile(path, next);
}
