import type { EngineVsNativeResults, MemoryBandwidthResults } from './results-types.ts';

export interface DecodeCeiling {
  model: string;
  threads: number;
  bytesPerToken: number;
  /** Best read bandwidth with a working set the size of this model's weights (may be cache-resident). */
  modelSizedBandwidth: number | null;
  dramBandwidth: number | null;
  /** Tokens/s if every byte came at the model-sized read bandwidth: the limit for this machine. */
  ceilingTokensPerSecond: number | null;
  dramCeilingTokensPerSecond: number | null;
  anychatTokensPerSecond: number;
  nativeTokensPerSecond: number;
  anychatFraction: number | null;
  nativeFraction: number | null;
}

/**
 * Decode ceiling = read bandwidth ÷ bytes read per token. Bytes per token are the weights plus
 * the KV cache at the mean position of the decode test (prompt + half the generated tokens).
 * Read bandwidth is STREAM's best sample, its convention for "what the machine can do".
 */
export function decodeCeilings(engine: EngineVsNativeResults, bandwidth: MemoryBandwidthResults | undefined): DecodeCeiling[] {
  const meanPosition = engine.settings.promptTokens + engine.settings.generatedTokens / 2;
  const dram = bandwidth?.results.workingSets.find((set) => set.label === 'dram')?.kernels.read.best ?? null;
  return engine.results.models.map((model) => {
    const bytesPerToken = model.traffic.weightBytesPerToken + model.traffic.kvCacheBytesPerPosition * meanPosition;
    const modelSized = bandwidth?.results.workingSets.find((set) => set.label === model.model)?.kernels.read.best ?? dram;
    const ceiling = modelSized === null ? null : (modelSized * 1e9) / bytesPerToken;
    return {
      model: model.model,
      threads: model.threads,
      bytesPerToken,
      modelSizedBandwidth: modelSized,
      dramBandwidth: dram,
      ceilingTokensPerSecond: ceiling,
      dramCeilingTokensPerSecond: dram === null ? null : (dram * 1e9) / bytesPerToken,
      anychatTokensPerSecond: model.decode.anychat.median,
      nativeTokensPerSecond: model.decode.native.median,
      anychatFraction: ceiling === null ? null : model.decode.anychat.median / ceiling,
      nativeFraction: ceiling === null ? null : model.decode.native.median / ceiling,
    };
  });
}
