import { fixed, markdownTable, spread, verdict } from './markdown-format.ts';
import type { StartupResults } from './results-types.ts';

/** The `startup` section of BENCHMARKS.md, from bench/results/startup.json. */
export function renderStartup(startup: StartupResults): string {
  const { settings, results, machine } = startup;
  const milliseconds = (summary: StartupResults['results']['helpMs']) =>
    `${fixed(summary.median, 0)}${spread(summary.relativeSpread)} (${fixed(summary.minimum, 0)}–${fixed(summary.maximum, 0)})`;
  return [
    '## Start-up: `anychat --help` and `anychat serve`',
    '',
    `Measured by \`npm run bench:startup${startup.quick ? ' -- --quick' : ''}\` (${startup.createdAt.slice(0, 10)}; 1-minute load ${machine.loadAverageAtStart} at start, ` +
      `${startup.loadAverageAtEnd ?? '?'} at the end, on ${machine.availableCores} cores). Raw samples: \`bench/results/startup.json\`.`,
    '',
    `The compiled command (\`node bin/anychat.js\`, dist/), each start a fresh process, ${settings.rounds} rounds interleaved: milliseconds as median ± half the interquartile range (fastest–slowest). ` +
      '`serve` is timed from spawn to the first 200 from `/health` (polled every 5 ms on a port chosen beforehand), with the echo backend, on a data folder an earlier start created. ' +
      'serve listens while its database opens: `/health` and the TGI and OpenAI routes need no database, and the app API waits for it.',
    '',
    markdownTable(
      ['Start', 'ms', 'Limit', ''],
      [
        ['`node -e 0`', milliseconds(results.bareNodeMs), '', ''],
        ['`anychat --help`', milliseconds(results.helpMs), `≤ ${settings.helpLimitRatio}× \`node -e 0\``, `**${fixed(results.helpOverBareNode.median, 2)}×**${spread(results.helpOverBareNode.relativeSpread)} ${verdict(results.helpOverBareNode.median <= settings.helpLimitRatio)}`],
        ['`anychat serve`, existing data folder', milliseconds(results.serveFolderMs), `≤ ${settings.serveLimitMs} ms`, verdict(results.serveFolderMs.median <= settings.serveLimitMs)],
        ...(results.serveFolderConversationsMs
          ? [['`anychat serve`, existing data folder, to its "listening on" line (the conversations readable too)', milliseconds(results.serveFolderConversationsMs), '', 'for information']]
          : []),
        ...(results.serveFolderCpuMs
          ? [['`anychat serve`, existing data folder: the server’s CPU time until then', milliseconds(results.serveFolderCpuMs), '', 'all threads; a busy machine inflates it far less than wall time']]
          : []),
        [`\`anychat serve\`, memory:// (${settings.memoryRounds} rounds, for information)`, milliseconds(results.serveMemoryMs), '', ''],
      ],
    ),
    '',
    `Where serve's time went: PGlite opening the same folder took ${fixed(results.pgliteOpenPostgresDefaultsMs.median, 0)} ms${spread(results.pgliteOpenPostgresDefaultsMs.relativeSpread)} with PostgreSQL's own ` +
      `shared_buffers (128 MB, which PGlite's WebAssembly build clears at every start) and ${fixed(results.pgliteOpenAnychatMs.median, 0)} ms${spread(results.pgliteOpenAnychatMs.relativeSpread)} with anychat's 16 MB ` +
      `(each a fresh process)${cpuTimes(results)}. ` +
      '`--help` loads only commander and the command table: each command imports its implementation when it runs. ' +
      'serve opens the database while the model loads and while the server modules load. memory:// runs initdb at every start, seconds of WebAssembly, which a folder pays once.',
  ].join('\n');
}

/** The CPU time of the two opens, which a busy machine inflates far less than their wall time. */
function cpuTimes(results: StartupResults['results']): string {
  const { pgliteOpenPostgresDefaultsCpuMs: defaults, pgliteOpenAnychatCpuMs: anychat } = results;
  if (!defaults || !anychat) return '';
  return `; in CPU time, all threads, ${fixed(defaults.median, 0)} ms against ${fixed(anychat.median, 0)} ms`;
}
