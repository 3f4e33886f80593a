/**
 * `npm run bench:storage [-- --quick]`: the storage figures the issue asks for, on PGlite (on disk,
 * as anychat runs by default) and on PostgreSQL (ANYCHAT_TEST_DATABASE_URL, or the server that
 * scripts/postgres/start-test-postgres.sh starts):
 *   - streamed tokens saved per second, sustained: `updateAnswer` after every token (the worst
 *     case), after every 32 tokens (the server's cadence) and 8 answers at once at that cadence;
 *     plus how long one save at the server's cadence takes;
 *   - opening a 5,000-message conversation (getConversation + listMessages), target < 100 ms;
 *   - listing among 10,000 conversations: the first page, all of them, and a search.
 * Raw samples go to bench/results/storage.json; a summary replaces BENCHMARKS.md's storage section.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { repositoryRoot } from '../scripts/test-models/repository-root.ts';
import type { StoredMessage } from '../src/chat/conversation.ts';
import type { ConversationSnapshot, ConversationStore } from '../src/storage/conversation-store.ts';
import { createPgliteConversationStore } from '../src/storage/pglite/create-pglite-conversation-store.ts';
import { createTestSchema, openPostgresStore } from '../test/storage/test-postgres.ts';
import { generationRecord, longConversation, manyConversations, paragraph, tokenText } from './lib/storage-workload.ts';
import { machineInfo } from './lib/machine-info.ts';
import { replaceMarkdownSection } from './lib/markdown-section.ts';
import { startBenchmark } from './lib/results-file.ts';
import { summarize, type SampleSummary } from './lib/statistics.ts';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
const quick = values.quick === true;
const settings = {
  answerTokens: quick ? 500 : 1_000,
  saveEveryTokens: 32,
  concurrentAnswers: 8,
  streamingRuns: quick ? 2 : 3,
  longConversationMessages: 5_000,
  /** The comparison: answers whose records keep only a short prompt, to show what the prompts cost. */
  shortPromptCharacters: 1_000,
  openRuns: quick ? 5 : 10,
  conversations: 10_000,
  listRuns: quick ? 5 : 10,
  listPageSize: 100,
};

interface DatabaseResults {
  streaming: {
    everyTokenTokensPerSecond: number[];
    every32TokensTokensPerSecond: number[];
    concurrentEvery32TokensTokensPerSecond: number[];
    every32TokensSaveMilliseconds: number[];
  };
  openLongConversationMilliseconds: number[];
  longConversationJsonBytes: number;
  openShortPromptConversationMilliseconds: number[];
  shortPromptConversationJsonBytes: number;
  listFirstPageMilliseconds: number[];
  listAllMilliseconds: number[];
  searchMilliseconds: number[];
}

const benchmark = startBenchmark('storage', quick);
const timed = async (action: () => Promise<unknown>) => {
  const started = performance.now();
  await action();
  return performance.now() - started;
};
const log = (text: string) => process.stderr.write(`${text}\n`);

/** One answer streamed into the store, saving every `saveEvery` tokens; returns tokens per second. */
async function streamAnswer(store: ConversationStore, saveEvery: number, saveTimes?: number[]): Promise<number> {
  const conversation = await store.createConversation({ title: 'Streaming' });
  const question = await store.appendMessage({ conversationId: conversation.id, parentId: null, role: 'user', content: paragraph(40) });
  const generation = { ...generationRecord(paragraph(400), 0), status: 'streaming' as const };
  const answer = await store.appendMessage({ conversationId: conversation.id, parentId: question.id, role: 'assistant', content: '', generation });
  let content = '';
  const started = performance.now();
  for (let token = 1; token <= settings.answerTokens; token += 1) {
    content += tokenText(token);
    if (token % saveEvery === 0 || token === settings.answerTokens) {
      const saveStarted = performance.now();
      await store.updateAnswer(answer.id, { content });
      saveTimes?.push(performance.now() - saveStarted);
    }
  }
  await store.updateAnswer(answer.id, { content, generation: { ...generation, status: 'done' } });
  return settings.answerTokens / ((performance.now() - started) / 1000);
}

/** Imports the conversation, then times getConversation + listMessages, after one warm-up. */
async function openRepeatedly(store: ConversationStore, snapshot: ConversationSnapshot) {
  const [imported] = await store.importConversations([snapshot]);
  const milliseconds: number[] = [];
  let jsonBytes = 0;
  for (let run = 0; run < settings.openRuns + 1; run += 1) {
    let messages: StoredMessage[] = [];
    const elapsed = await timed(async () => {
      await store.getConversation(imported!.id);
      messages = await store.listMessages(imported!.id);
    });
    if (messages.length !== snapshot.messages.length) throw new Error(`read ${messages.length} messages`);
    jsonBytes = JSON.stringify(messages).length;
    if (run > 0) milliseconds.push(elapsed);
  }
  return { milliseconds, jsonBytes };
}

async function measure(name: string, store: ConversationStore): Promise<DatabaseResults> {
  const results: DatabaseResults = {
    streaming: {
      everyTokenTokensPerSecond: [],
      every32TokensTokensPerSecond: [],
      concurrentEvery32TokensTokensPerSecond: [],
      every32TokensSaveMilliseconds: [],
    },
    openLongConversationMilliseconds: [],
    longConversationJsonBytes: 0,
    openShortPromptConversationMilliseconds: [],
    shortPromptConversationJsonBytes: 0,
    listFirstPageMilliseconds: [],
    listAllMilliseconds: [],
    searchMilliseconds: [],
  };

  log(`${name}: streaming`);
  await streamAnswer(store, settings.saveEveryTokens); // warm-up
  for (let run = 0; run < settings.streamingRuns; run += 1) {
    results.streaming.everyTokenTokensPerSecond.push(await streamAnswer(store, 1));
    results.streaming.every32TokensTokensPerSecond.push(
      await streamAnswer(store, settings.saveEveryTokens, results.streaming.every32TokensSaveMilliseconds),
    );
    const started = performance.now();
    await Promise.all(Array.from({ length: settings.concurrentAnswers }, () => streamAnswer(store, settings.saveEveryTokens)));
    results.streaming.concurrentEvery32TokensTokensPerSecond.push(
      (settings.concurrentAnswers * settings.answerTokens) / ((performance.now() - started) / 1000),
    );
  }

  log(`${name}: opening a ${settings.longConversationMessages}-message conversation`);
  const opened = await openRepeatedly(store, longConversation(settings.longConversationMessages, 'Long'));
  results.openLongConversationMilliseconds = opened.milliseconds;
  results.longConversationJsonBytes = opened.jsonBytes;
  const openedShort = await openRepeatedly(
    store,
    longConversation(settings.longConversationMessages, 'Long, short prompts', settings.shortPromptCharacters),
  );
  results.openShortPromptConversationMilliseconds = openedShort.milliseconds;
  results.shortPromptConversationJsonBytes = openedShort.jsonBytes;

  log(`${name}: filling ${settings.conversations} conversations`);
  const many = manyConversations(settings.conversations);
  for (let start = 0; start < many.length; start += 500) await store.importConversations(many.slice(start, start + 500));
  for (let run = 0; run < settings.listRuns + 1; run += 1) {
    const firstPage = await timed(() => store.listConversations({ limit: settings.listPageSize }));
    const all = await timed(async () => {
      const listed = await store.listConversations({ limit: settings.conversations * 2 });
      if (listed.length < settings.conversations) throw new Error(`listed ${listed.length} conversations`);
    });
    const search = await timed(() => store.listConversations({ search: 'no such words anywhere' }));
    if (run === 0) continue;
    results.listFirstPageMilliseconds.push(firstPage);
    results.listAllMilliseconds.push(all);
    results.searchMilliseconds.push(search);
  }
  return results;
}

const pgliteDirectory = await mkdtemp(join(tmpdir(), 'anychat-bench-'));
const pglite = await createPgliteConversationStore({ dataDir: pgliteDirectory });
const pgliteResults = await measure('PGlite', pglite);
await pglite.close();
await rm(pgliteDirectory, { recursive: true, force: true });

const schema = await createTestSchema();
const postgres = await openPostgresStore(schema);
const postgresResults = await measure('PostgreSQL', postgres);
await postgres.close();
await schema.drop();

const results = { pglite: pgliteResults, postgres: postgresResults };
const resultsPath = await benchmark.write(settings, results);

const summaries = (pick: (results: DatabaseResults) => number[]) =>
  [summarize(pick(pgliteResults)), summarize(pick(postgresResults))] as const;
const number = (value: number) => (value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(1));
const cell = (summary: SampleSummary) => `${number(summary.median)} (${number(summary.minimum)}–${number(summary.maximum)})`;
const row = (label: string, pick: (results: DatabaseResults) => number[]) => {
  const [pgliteSummary, postgresSummary] = summaries(pick);
  return `| ${label} | ${cell(pgliteSummary)} | ${cell(postgresSummary)} |`;
};
const [pgliteOpen, postgresOpen] = summaries((results) => results.openLongConversationMilliseconds);
const [pgliteShortOpen, postgresShortOpen] = summaries((results) => results.openShortPromptConversationMilliseconds);
const verdict = (milliseconds: number) => (milliseconds < 100 ? 'meets < 100 ms' : 'misses < 100 ms');

const machine = machineInfo();
const table = [
  `${settings.answerTokens}-token answers of ~4 characters per token; ${settings.streamingRuns} runs of each streaming measure, ` +
    `${settings.openRuns} opens, ${settings.listRuns} listings (after one warm-up each). Median (min–max). ` +
    `PGlite on local disk; PostgreSQL 15 on 127.0.0.1, default settings (fsync on).`,
  '',
  '| Measure | PGlite | PostgreSQL |',
  '|---|---|---|',
  row('Streaming, save after every token (tokens/s)', (results) => results.streaming.everyTokenTokensPerSecond),
  row(`Streaming, save every ${settings.saveEveryTokens} tokens (tokens/s)`, (results) => results.streaming.every32TokensTokensPerSecond),
  row(
    `Streaming, ${settings.concurrentAnswers} answers at once, every ${settings.saveEveryTokens} tokens (tokens/s, all together)`,
    (results) => results.streaming.concurrentEvery32TokensTokensPerSecond,
  ),
  row(`One save at the server's cadence (ms)`, (results) => results.streaming.every32TokensSaveMilliseconds),
  row(`Open a ${settings.longConversationMessages.toLocaleString('en-US')}-message conversation (ms)`, (results) => results.openLongConversationMilliseconds),
  row(
    `Open it with ${settings.shortPromptCharacters.toLocaleString('en-US')}-character prompts instead (ms; prompts are not read on opening, so about the same)`,
    (results) => results.openShortPromptConversationMilliseconds,
  ),
  row(`List the newest ${settings.listPageSize} of ${settings.conversations.toLocaleString('en-US')} conversations (ms)`, (results) => results.listFirstPageMilliseconds),
  row(`List all ${settings.conversations.toLocaleString('en-US')} conversations (ms)`, (results) => results.listAllMilliseconds),
  row(`Search titles and message text of ${settings.conversations.toLocaleString('en-US')} conversations, ILIKE (ms)`, (results) => results.searchMilliseconds),
  '',
  `Opening the 5,000-message conversation (${(pgliteResults.longConversationJsonBytes / 1024 ** 2).toFixed(1)} MiB as JSON; ` +
    `each answer's prompt, ~16 KB, is kept apart and read only by GET /api/messages/:id and export): PGlite ${verdict(pgliteOpen.median)}, PostgreSQL ${verdict(postgresOpen.median)}. ` +
    `With short prompts (${(pgliteResults.shortPromptConversationJsonBytes / 1024 ** 2).toFixed(1)} MiB): ` +
    `PGlite ${verdict(pgliteShortOpen.median)}, PostgreSQL ${verdict(postgresShortOpen.median)}.`,
].join('\n');
console.log(`\n${table}\n\nRaw samples: ${resultsPath}`);

await replaceMarkdownSection(
  join(repositoryRoot, 'BENCHMARKS.md'),
  'storage',
  [
    '## Storage: PGlite and PostgreSQL',
    '',
    `Measured by \`npm run bench:storage${quick ? ' -- --quick' : ''}\` on ${machine.cpuModel}, ${machine.logicalCores} cores, ` +
      `${(machine.memoryBytes / 1024 ** 3).toFixed(0)} GiB, load average ${machine.loadAverageAtStart} at the start ` +
      `(${new Date().toISOString().slice(0, 10)}). Raw samples: \`bench/results/storage.json\`.`,
    '',
    table,
  ].join('\n'),
);
