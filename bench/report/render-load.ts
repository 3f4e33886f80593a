import type { LoadResults } from './results-types.ts';
import { fixed, markdownTable, verdict } from './markdown-format.ts';

/** The `load` section of BENCHMARKS.md, from bench/results/load.json. */
export function renderLoad(load: LoadResults): string {
  const { settings, results } = load;
  const { concurrent, sequential, storage, memory, totals } = results;
  const clean = totals.errors === 0 && totals.faultyTokens === 0 && totals.conversationsLost === 0;
  const memoryRow = (name: string, server: LoadResults['results']['memory']['streamsServer']) => [
    name,
    `${fixed(server.baseline.heapUsedMiB, 2)} / ${fixed(server.baseline.residentMiB, 0)}`,
    `${fixed(server.peak.heapUsedMiB, 1)} / ${fixed(server.peak.residentMiB, 0)}`,
    `${fixed(server.afterSettle.heapUsedMiB, 2)} / ${fixed(server.afterSettle.residentMiB, 0)}`,
    `**${server.heapGrowthKiB >= 0 ? '+' : ''}${server.heapGrowthKiB}**`,
    server.heapGrowthKiB > 0 ? fixed(server.heapGrowthBytesPerRequest, 1) : '–',
    `${verdict(server.backToBaseline)} (≤ +${server.toleranceKiB} KiB)`,
  ];
  return [
    '## Load: concurrent streams, sequential conversations, memory',
    '',
    `Measured by \`npm run bench:load${load.quick ? ' -- --quick' : ''}\` (${load.createdAt.slice(0, 10)}; 1-minute load ${load.machine.loadAverageAtStart} at start, ${load.loadAverageAtEnd ?? '?'} at the end; ` +
      `${load.machine.availableCores} cores shared by the server, the clients and anything else running). Raw samples: \`bench/results/load.json\`.`,
    '',
    `\`anychat serve\` runs as its own process on 127.0.0.1 with the echo backend and a fresh PGlite data directory. Every request asks the echo backend for a known text ` +
      '(numbered words tagged with the stream’s id) and the client checks the reassembled text exactly, and the final text the server reports: no token dropped, repeated, reordered or from another stream.',
    '',
    `**${settings.clients} concurrent streams for ${settings.holdSeconds} s**, a third each on TGI \`/generate_stream\`, OpenAI \`/v1/chat/completions\` and the page’s ` +
      `\`POST /api/conversations/:id/messages\` (a new conversation each, stored): each client starts its next stream when one ends. ` +
      `${settings.wordsPerStream} words per answer at ${settings.echoDelayMs} ms a word (\`--parallel ${settings.clients} --max-queue ${settings.clients}\`). ` +
      'Each client opens its keep-alive connection before the load, as connected browsers have: libuv (1.45 and later) accepts one connection per event-loop turn, so a server already busy with hundreds of streams takes a burst of new connections slowly, and once its listen queue is full the kernel drops them and clients wait for SYN retries (1, 3, 7 s…). ' +
      `Connections dropped that way while the streams ran: ${concurrent.listenOverflows ?? 'not measured (no /proc/net/netstat)'}.`,
    '',
    markdownTable(
      ['Streams held (fewest / median)', 'Server generations (median)', 'Completed', 'Tokens checked', 'Tokens/s', 'TTFT p50 / p99 ms', 'Inter-token p50 / p99 / max ms', 'Errors', 'Bad tokens'],
      [
        [
          `**${concurrent.streamsHeld.fewest}** / ${concurrent.streamsHeld.median}`,
          concurrent.serverActiveSequences.median,
          `${concurrent.streamsCompleted} / ${concurrent.streamsStarted}`,
          concurrent.tokens,
          concurrent.tokensPerSecond,
          `${fixed(concurrent.timeToFirstTokenMs.p50)} / ${fixed(concurrent.timeToFirstTokenMs.p99)}`,
          `${fixed(concurrent.interTokenMs.p50)} / ${fixed(concurrent.interTokenMs.p99)} / ${fixed(concurrent.interTokenMs.max, 0)}`,
          concurrent.errors,
          concurrent.faultyTokens,
        ],
      ],
    ),
    '',
    `By surface: ${Object.entries(concurrent.bySurface)
      .map(([surface, counts]) => {
        const firstToken = concurrent.timeToFirstTokenMsBySurface?.[surface as keyof typeof concurrent.bySurface];
        return `${surface} ${counts.completed} streams, ${counts.tokens} tokens, ${counts.errors} errors${firstToken ? `, TTFT p50 ${fixed(firstToken.p50)} ms` : ''}`;
      })
      .join('; ')}. The ideal inter-token delay is ${settings.echoDelayMs} ms.${databaseBoundNote(load)}`,
    '',
    `**${settings.sequentialConversations} sequential conversations** through the app API on a second server, restarted on the same data directory with the echo answering at once: ` +
      `create a conversation, send a message, read its answer to the end, check it. Then every conversation is read back through \`GET /api/conversations/:id\` and the paged list is walked to the end.`,
    '',
    markdownTable(
      ['Completed', 'Per conversation p50 / p99 ms', 'First tenth / last tenth p50 ms', 'Conversations/s', 'Stored and exact', 'Listed', 'First server’s, after restart', 'Lost'],
      [
        [
          `${sequential.conversationsCompleted} / ${sequential.conversationsStarted}`,
          `${fixed(sequential.perConversationMs.p50)} / ${fixed(sequential.perConversationMs.p99)}`,
          `${fixed(sequential.firstTenthMedianMs)} / ${fixed(sequential.lastTenthMedianMs)}`,
          fixed(sequential.conversationsPerSecond),
          `${storage.sequential.checked - storage.sequential.lost} / ${storage.sequential.expected}`,
          `${storage.sequential.listed} / ${storage.sequential.expected}`,
          `${storage.streamedAfterRestart.checked - storage.streamedAfterRestart.lost} / ${storage.streamedAfterRestart.expected}`,
          `**${totals.conversationsLost}**`,
        ],
      ],
    ),
    '',
    'Memory: live heap and RSS after a forced full GC (the server runs with `--expose-gc`; the bench asks it over IPC) after warm-up, the highest value /metrics showed under load, ' +
      `and after ${settings.settleSeconds} s of rest plus a GC. Back to baseline means live heap after ≤ baseline + the tolerance.`,
    '',
    markdownTable(
      ['Server', 'Baseline heap / RSS MiB', 'Peak heap / RSS MiB', 'After heap / RSS MiB', 'Heap growth KiB', 'Bytes per request', 'Back to baseline'],
      [memoryRow(`Streams (${concurrent.streamsStarted} streams)`, memory.streamsServer), memoryRow(`Conversations (${sequential.conversationsStarted})`, memory.conversationsServer)],
    ),
    '',
    `Verdict: ${clean ? '✅' : '❌'} ${totals.errors} errors, ${totals.faultyTokens} bad tokens, ${totals.conversationsLost} conversations lost over ${totals.tokensChecked} tokens checked; ` +
      `memory ${totals.backToBaseline ? 'back to baseline' : '**not** back to baseline'}. Graceful shutdown (SIGTERM): exit ${results.shutdown.streamsServer.exitCode} and ${results.shutdown.conversationsServer.exitCode}` +
      `${results.serverWarnings.count > 0 ? `; the servers logged ${results.serverWarnings.count} warnings or errors` : ''}.`,
  ].join('\n');
}

/**
 * When the app API's first tokens come far later than the other surfaces', the reason is the
 * store, not the stream: said here so a reader does not look for it in the SSE code.
 */
function databaseBoundNote(load: LoadResults): string {
  const bySurface = load.results.concurrent.timeToFirstTokenMsBySurface;
  if (!bySurface || !(bySurface.app.p50 > 10 * bySurface.tgi.p50)) return '';
  return (
    ' The app API’s answers start late because they wait for PGlite: each stores its conversation, question and answer before the first token and saves its progress twice a second, ' +
    'and PGlite runs every statement on the server’s one thread (it now yields to the event loop every 10 ms, so the other surfaces keep streaming meanwhile).'
  );
}
