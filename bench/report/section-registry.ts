import { gapNotes } from './gap-notes.ts';
import { renderBatchScaling } from './render-batch-scaling.ts';
import { renderGapAnalysis, type DecodeProfileResults } from './render-gap-analysis.ts';
import { renderEngineVsNative } from './render-engine-vs-native.ts';
import { renderLoad } from './render-load.ts';
import { renderPhysicalLimit } from './render-physical-limit.ts';
import { renderMultiTurnChat } from './render-multi-turn-chat.ts';
import { renderServerVsLlamaServer } from './render-server-vs-llama-server.ts';
import { renderStartup } from './render-startup.ts';
import type {
  BatchScalingResults,
  EngineVsNativeResults,
  LoadResults,
  MemoryBandwidthResults,
  MultiTurnChatResults,
  ResultsByName,
  ServerVsLlamaServerResults,
  StartupResults,
} from './results-types.ts';

export interface RenderedSection {
  /** The marker name: `<!-- bench:NAME:start -->`. */
  name: string;
  render(results: ResultsByName): string | null;
}

/** Results files whose benches write their own section of BENCHMARKS.md; the report keeps those sections as written. */
export const selfRenderingResults = ['engine', 'server', 'ui', 'storage'];

/**
 * The sections this report renders from results files. A section whose results are missing
 * renders nothing, so an older section from an earlier run stays rather than vanishing.
 */
export const renderedSections: RenderedSection[] = [
  { name: 'engine-vs-native', render: (results) => withResults(results, 'engine-vs-native', (engine: EngineVsNativeResults) => renderEngineVsNative(engine)) },
  {
    name: 'physical-limit',
    render: (results) => renderPhysicalLimit(results.get('memory-bandwidth') as MemoryBandwidthResults | undefined, results.get('engine-vs-native') as EngineVsNativeResults | undefined),
  },
  { name: 'server-vs-llama-server', render: (results) => withResults(results, 'server-vs-llama-server', (server: ServerVsLlamaServerResults) => renderServerVsLlamaServer(server)) },
  { name: 'multi-turn-chat', render: (results) => withResults(results, 'multi-turn-chat', (chat: MultiTurnChatResults) => renderMultiTurnChat(chat)) },
  { name: 'batch-scaling', render: (results) => withResults(results, 'batch-scaling', (batch: BatchScalingResults) => renderBatchScaling(batch)) },
  {
    name: 'gap-analysis',
    render: (results) => renderGapAnalysis(results.get('decode-profile') as DecodeProfileResults | undefined, gapNotes(results)),
  },
  { name: 'load', render: (results) => withResults(results, 'load', (load: LoadResults) => renderLoad(load)) },
  { name: 'startup', render: (results) => withResults(results, 'startup', (startup: StartupResults) => renderStartup(startup)) },
  {
    name: 'folded-in',
    render: (results) =>
      [
        '## 5. Fan-out, UI and storage',
        '',
        'Written by the other benches into their own sections below (`npm run bench` runs them all): ' +
          selfRenderingResults.map((name) => `\`${name}\`${results.has(name) ? '' : ' (not run yet)'}`).join(', ') +
          '.',
      ].join('\n'),
  },
];

/** The order of sections in BENCHMARKS.md: the five parts, each bench's own section after the one it belongs to. */
export const sectionOrder = ['overview', 'engine-vs-native', 'engine', 'physical-limit', 'server-vs-llama-server', 'multi-turn-chat', 'batch-scaling', 'gap-analysis', 'folded-in', 'server', 'load', 'ui', 'storage', 'startup'];

function withResults<Results>(results: ResultsByName, name: string, render: (content: Results) => string): string | null {
  const content = results.get(name);
  return content === undefined ? null : render(content as Results);
}
