import { decodeCeilings } from './decode-ceiling.ts';
import type { DecodeProfileResults } from './render-gap-analysis.ts';
import type { BatchScalingResults, EngineVsNativeResults, MemoryBandwidthResults, ResultsByName, ServerVsLlamaServerResults } from './results-types.ts';
import { checkTargets } from './target-summary.ts';

/**
 * The notes under "Where the time goes": each missed target with its gap, followed by the
 * explanation the profile supports. The figures are computed; the reasoning is ours and names
 * the evidence it rests on, so a rerun that changes the figures changes the notes with them.
 */
export function gapNotes(results: ResultsByName): string[] {
  const engine = results.get('engine-vs-native') as EngineVsNativeResults | undefined;
  const bandwidth = results.get('memory-bandwidth') as MemoryBandwidthResults | undefined;
  const server = results.get('server-vs-llama-server') as ServerVsLlamaServerResults | undefined;
  const profile = results.get('decode-profile') as DecodeProfileResults | undefined;
  const notes: string[] = [];
  const missed = checkTargets({ engine, bandwidth, server }).filter((check) => check.met === false);
  for (const check of missed) notes.push(`Missed: ${check.what}: ${check.measured} against ${check.target} (${check.gap}).`);

  const perToken = (conversations: number, origin: string): number | null => {
    const workload = profile?.results.workloads.find((entry) => entry.conversations === conversations);
    if (!workload) return null;
    const busy = Object.entries(workload.summary.byOrigin)
      .filter(([name]) => (origin === 'busy' ? name !== 'idle' : name === origin))
      .reduce((sum, [, milliseconds]) => sum + milliseconds, 0);
    return busy / workload.outcome.tokens;
  };
  const single = perToken(1, 'busy');
  const wallSingle = profile?.results.workloads.find((entry) => entry.conversations === 1);
  if (single !== null && wallSingle) {
    const wallPerToken = wallSingle.outcome.wallMilliseconds / wallSingle.outcome.tokens;
    notes.push(
      `Profile, one conversation: the Node main thread is busy ${single.toFixed(2)} ms per token out of ${wallPerToken.toFixed(1)} ms (${((single / wallPerToken) * 100).toFixed(0)}%). ` +
        'node-llama-cpp runs llama_decode and sampling on a libuv worker, so most of the rest is the engine itself. ' +
        'Under `perf` (qwen2.5-0.5b-shape Q4_0, 1 thread, 150 tokens) both engines spend the decode in the same kernel, gemv_q4_b32_8x8_q8_0_lut_avx, with the same Q4_0 repacking and the same sample count (3,609 native, 3,630 node-llama-cpp): node-llama-cpp picks libggml-cpu-zen4.so, the AVX-512 VNNI/BF16 variant (this VM has no AMX), so the prebuilt build is not the gap. ' +
        'What llama-bench’s tg test does not pay is a fixed cost per token: sampling over the whole vocabulary at temperature 0.7 (llama-bench samples nothing) and node-llama-cpp’s round trip through JavaScript between one token and the next decode. ' +
        'The ratios put that at 1–4 ms a token: a few percent of a 45 ms Qwen-0.5B token, 10–25% of a 10–20 ms SmolLM2-135M token, which is why the small models show the larger gaps. ' +
        '`perf` on SmolLM2-135M-shape Q4_0 (900 tokens, temperature 0.7) sees only part of it as CPU outside ggml (node 3.4%, node-llama-cpp’s addon and sampler 0.6%, kernel 1.2%); the rest is wall-clock between decodes, the hand-offs from the decode worker to JavaScript and back, which a CPU profile does not sample. ' +
        'Closing it needs the next decode to start before JavaScript has seen the token, which node-llama-cpp’s evaluate loop cannot do; against llama-server, which samples too, anychat keeps pace at one client (section 3).',
    );
  }
  const batch = results.get('batch-scaling') as BatchScalingResults | undefined;
  const conversations = batch?.results.conversations ?? [];
  const one = conversations.find((level) => level.conversations === 1)?.steadyDecodeTokensPerSecond;
  const most = conversations.at(-1);
  if (one && most?.steadyDecodeTokensPerSecond && most.conversations > 1) {
    const busy = perToken(Math.min(most.conversations, profile?.results.workloads.at(-1)?.conversations ?? 0), 'busy');
    notes.push(
      `Batching: with ${most.conversations} conversations decoding together the backend makes ${most.steadyDecodeTokensPerSecond.toFixed(1)} tok/s, ` +
        `${(most.steadyDecodeTokensPerSecond / one).toFixed(2)}× one conversation’s ${one.toFixed(1)} tok/s, so each conversation gets about 1/${most.conversations} of the speed` +
        `${busy !== null ? `, while the main thread stays mostly idle (${busy.toFixed(2)} ms busy per token)` : ''}. ` +
        'Measured sequences per llama_decode: node-llama-cpp alone split them (2 conversations: 1.00 per decode; 4: 2.95), because its dispatch loop decodes whatever is queued the moment a decode ends. ' +
        'The backend’s decode step gate (src/backends/llamacpp/decode-step-gate.ts) now holds each sequence until every active one is ready, so decodes carry all of them (4: 3.88, 8: 7.75). ' +
        'What remains is the cost of a step itself: a batch of 8 tokens costs about 2.8× one token here (native llama-bench pp8 agrees), plus logits and sampling for each sequence, so batching gives about 2×, not 8×, on this CPU.',
    );
  }
  if (server) {
    const anychatLevels = Object.entries(server.results.summary).filter(([label]) => label !== server.settings.reference);
    const worst = anychatLevels
      .flatMap(([label, levels]) => Object.entries(levels).map(([clients, level]) => ({ label, clients, ratio: level.comparison?.throughputRatio.median ?? Number.NaN })))
      .filter((entry) => Number.isFinite(entry.ratio))
      .sort((left, right) => left.ratio - right.ratio)[0];
    if (worst) {
      notes.push(
        `Server: the lowest throughput ratio is ${worst.label} at ${worst.clients} client(s), ${worst.ratio.toFixed(3)} of llama-server. ` +
          'Found with `perf` on both servers under 8 clients (same 1,471 tokens): anychat spent 23.3k ggml samples to llama-server’s 17.6k although both made ~195 decodes carrying 8 sequences each (anychat_engine_decodes_total, llamacpp:n_busy_slots_per_decode). ' +
          'node-llama-cpp keeps one KV cache per sequence (kv_unified = false), and llama.cpp then cuts each batch into micro-batches of consecutive, increasing sequence ids in batch order, so a step whose sequences queued as 3,0,1,2 ran as several small matrix products (gemm4xN<2>, <3>, single-token vec_dot) instead of one. ' +
          'The decode step gate now lets each step’s sequences go in id order and new requests take the lowest free sequence: 12.8k samples for the same tokens, the full gemm4xN<4> tile carrying the work. ' +
          'What remains against llama-server: each sequence’s sampling and the JavaScript round trip per step (see the engine note), and a new prompt evaluated with a step delays that step for everyone, which shows in time to first token at 4 and 8 clients.',
      );
    }
  }
  if (engine && bandwidth) {
    const ceilings = decodeCeilings(engine, bandwidth).filter((ceiling) => ceiling.anychatFraction !== null);
    const best = ceilings.reduce<(typeof ceilings)[number] | undefined>((top, ceiling) => (!top || (ceiling.anychatFraction ?? 0) > (top.anychatFraction ?? 0) ? ceiling : top), undefined);
    if (best) {
      notes.push(
        `Closest to the bandwidth ceiling: ${best.model} at ${best.threads} thread(s), ${((best.anychatFraction ?? 0) * 100).toFixed(0)}% (llama-bench ${((best.nativeFraction ?? 0) * 100).toFixed(0)}%). ` +
          'The rest of each token is not memory traffic: it goes to arithmetic on two cores and to ggml’s per-op thread synchronisation, which is also where contention from other processes lands.',
      );
    }
  }
  return notes;
}
