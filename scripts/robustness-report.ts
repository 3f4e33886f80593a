/**
 * `npm run robustness:report`: regenerates ROBUSTNESS.md from the figures the robustness suites
 * recorded in .cache/robustness/ during their last run (`npm test` runs all of them but the load
 * benchmark, which is `npm run bench:load`). Never edit ROBUSTNESS.md by hand.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { robustnessResultsDirectory, type RobustnessRecord } from '../test/robustness/robustness-figures.ts';

interface StoredRecord extends RobustnessRecord {
  recordedAt: string;
  commit: string;
}

/** Report order: how a user meets the failure, from what they type to what the machine suffers. */
const suiteOrder = ['input-fuzzing', 'upstream-faults', 'upstream-caps', 'hostile-output', 'origins', 'races', 'backpressure', 'crash-safety', 'shutdown', 'auth', 'load'];

function orderOf(suite: string): number {
  const index = suiteOrder.findIndex((prefix) => suite === prefix || suite.startsWith(`${prefix}-`));
  return index === -1 ? suiteOrder.length : index;
}

async function readRecords(): Promise<StoredRecord[]> {
  let files: string[];
  try {
    files = (await readdir(robustnessResultsDirectory)).filter((file) => file.endsWith('.json'));
  } catch {
    throw new Error(`no robustness figures in ${robustnessResultsDirectory}: run \`npm test\` (and \`npm run bench:load\`) first`);
  }
  const records = await Promise.all(files.map(async (file) => JSON.parse(await readFile(path.join(robustnessResultsDirectory, file), 'utf8')) as StoredRecord));
  return records.sort((first, second) => orderOf(first.suite) - orderOf(second.suite) || first.suite.localeCompare(second.suite));
}

const formatNumber = (value: number): string => value.toLocaleString('en-US', { maximumFractionDigits: 2 });

function verdict(record: StoredRecord): string {
  const failed = record.figures.filter((figure) => figure.mustBeZero && figure.value !== 0);
  return failed.length === 0 ? '✅ no losses' : `❌ ${failed.map((figure) => `${figure.label}: ${formatNumber(figure.value)}`).join('; ')}`;
}

function summaryRow(record: StoredRecord): string {
  const tried = record.figures.filter((figure) => !figure.mustBeZero).map((figure) => `${formatNumber(figure.value)} ${figure.label}`);
  const losses = record.figures.filter((figure) => figure.mustBeZero).reduce((sum, figure) => sum + figure.value, 0);
  return `| [${record.title}](#${anchor(record.title)}) | ${tried.join('; ')} | ${formatNumber(losses)} | ${verdict(record)} |`;
}

function anchor(title: string): string {
  return title.toLowerCase().replace(/[^a-z0-9 -]/g, '').trim().replace(/ /g, '-');
}

function section(record: StoredRecord): string {
  const rows = record.figures.map((figure) => `| ${figure.label} | ${formatNumber(figure.value)} | ${figure.mustBeZero ? (figure.value === 0 ? 'must be 0: ✅' : 'must be 0: ❌') : ''} |`);
  return [
    `## ${record.title}`,
    '',
    `Run by: ${record.runBy}. Recorded ${record.recordedAt.slice(0, 16).replace('T', ' ')} UTC at commit \`${record.commit}\`.`,
    '',
    '| Figure | Value | |',
    '| --- | ---: | --- |',
    ...rows,
    ...(record.notes?.length ? ['', ...record.notes.map((note) => `- ${note}`)] : []),
  ].join('\n');
}

const records = await readRecords();
const totalLosses = records.flatMap((record) => record.figures).filter((figure) => figure.mustBeZero).reduce((sum, figure) => sum + figure.value, 0);
const document = [
  '# Robustness',
  '',
  'What anychat was put through, and what it lost. Every figure below comes from the last run of a suite: the suites record their counts in `.cache/robustness/`, and `npm run robustness:report` writes this file from them. All suites run in `npm test` (and so in `.ci/run`), except the load benchmark, `npm run bench:load`.',
  '',
  `Losses, summed over every suite (lost or duplicated messages and tokens, 5xx answers, crashes, executed payloads, leaked keys, sockets and handles, inconsistent rows): **${formatNumber(totalLosses)}**.`,
  '',
  '| Suite | Tried | Losses | Verdict |',
  '| --- | --- | ---: | --- |',
  ...records.map(summaryRow),
  '',
  ...records.map(section).flatMap((text) => [text, '']),
].join('\n');
await writeFile(path.resolve(import.meta.dirname, '../ROBUSTNESS.md'), document);
console.log(`wrote ROBUSTNESS.md from ${records.length} suite records (losses: ${totalLosses})`);
