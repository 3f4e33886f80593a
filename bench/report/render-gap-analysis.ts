import { fixed, markdownTable } from './markdown-format.ts';

/** bench/results/decode-profile.json, the fields read here. */
export interface DecodeProfileResults {
  settings: { model: string; threads: number };
  results: {
    workloads: {
      conversations: number;
      newTokens: number;
      outcome: { wallMilliseconds: number; tokens: number };
      summary: { totalMilliseconds: number; byOrigin: Record<string, number>; topFunctions: { name: string; origin: string; selfMilliseconds: number }[] };
      profilePath: string;
    }[];
  };
}

const origins = ['idle', 'native and VM (program)', 'garbage collection', 'node-llama-cpp', 'anychat', 'fastify and other packages', 'node internals'];

/**
 * The profile behind the gap notes: main-thread time per generated token, by origin. The engine's
 * own arithmetic runs on other threads, so everything but `idle` here is time the JavaScript side
 * spends per token, which on a two-core box is taken from ggml's worker threads.
 */
export function renderGapAnalysis(profile: DecodeProfileResults | undefined, notes: string[]): string {
  const lines = ['## Where the time goes', ''];
  if (profile) {
    const { settings, results } = profile;
    lines.push(
      `\`npm run bench:profile\`: ${settings.model}, ${settings.threads} thread(s), the backend under \`node --cpu-prof\`; ` +
        'main-thread self time per generated token, by origin (ms/token). Profiles are kept in `.cache/profiles/` for DevTools or speedscope.',
      '',
      markdownTable(
        ['Conversations', 'Tokens', 'Wall ms/token', ...origins],
        results.workloads.map((workload) => [
          workload.conversations,
          workload.outcome.tokens,
          fixed(workload.outcome.wallMilliseconds / workload.outcome.tokens, 2),
          ...origins.map((origin) => fixed((workload.summary.byOrigin[origin] ?? 0) / workload.outcome.tokens, 2)),
        ]),
      ),
    );
    const busiest = results.workloads.at(-1);
    if (busiest) {
      lines.push(
        '',
        `Busiest functions on the main thread with ${busiest.conversations} conversation(s) (self ms over the run):`,
        '',
        markdownTable(
          ['Function', 'Origin', 'Self ms'],
          busiest.summary.topFunctions.slice(0, 10).map((entry) => [`\`${entry.name.replace(/\|/g, '\\|')}\``, entry.origin, fixed(entry.selfMilliseconds)]),
        ),
      );
    }
  }
  if (notes.length > 0) lines.push('', ...notes.map((note) => `- ${note}`));
  return lines.join('\n');
}
