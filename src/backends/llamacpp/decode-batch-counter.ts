import type { BatchItem, CustomBatchingPrioritizationStrategy, PrioritizedBatchItem } from 'node-llama-cpp';

/** Totals since the backend started, for checking that concurrent generations share decodes. */
export interface DecodeBatchStats {
  /** llama_decode calls. */
  decodeBatches: number;
  /** Sequences summed over those calls: batchedSequences / decodeBatches is the mean batch width. */
  batchedSequences: number;
  /** Tokens summed over those calls (prompt tokens included). */
  decodedTokens: number;
  /** decodesBySequenceCount[k]: llama_decode calls that carried k sequences; shows batches splitting. */
  decodesBySequenceCount: number[];
}

/**
 * node-llama-cpp's batch prioritization, counted. node-llama-cpp calls the strategy exactly once
 * per llama_decode with every queued item, which makes it the one public place to see how many
 * sequences each decode carries (the default, "maximumParallelism", is not exported, so this
 * re-states it): every queued sequence gets an equal share of the batch, one token at least, and
 * what is left goes to the highest evaluation priority first.
 */
export function createCountedBatchStrategy(
  onBatch: (batch: readonly PrioritizedBatchItem[]) => void = () => {},
): { strategy: CustomBatchingPrioritizationStrategy; stats: () => DecodeBatchStats } {
  const totals: DecodeBatchStats = { decodeBatches: 0, batchedSequences: 0, decodedTokens: 0, decodesBySequenceCount: [] };
  const strategy: CustomBatchingPrioritizationStrategy = ({ items, size }) => {
    const batch = shareBatch(items, size);
    onBatch(batch);
    if (batch.length > 0) {
      totals.decodeBatches++;
      totals.batchedSequences += batch.length;
      totals.decodedTokens += batch.reduce((sum, entry) => sum + entry.processAmount, 0);
      totals.decodesBySequenceCount[batch.length] = (totals.decodesBySequenceCount[batch.length] ?? 0) + 1;
    }
    return batch;
  };
  return { strategy, stats: () => ({ ...totals, decodesBySequenceCount: Array.from(totals.decodesBySequenceCount, (count) => count ?? 0) }) };
}

function shareBatch(items: readonly BatchItem[], size: number): PrioritizedBatchItem[] {
  let tokensLeft = size;
  const share = Math.max(1, Math.floor(size / Math.max(1, items.length)));
  const batch: PrioritizedBatchItem[] = [];
  for (const item of items) {
    const processAmount = Math.min(item.tokens.length, share, tokensLeft);
    // node-llama-cpp reads a processAmount of 0 as 1, so an item that does not fit is left out, not listed with 0.
    if (processAmount <= 0) break;
    batch.push({ item, processAmount });
    tokensLeft -= processAmount;
  }
  const byPriority = [...batch].sort((first, second) => second.item.evaluationPriority - first.item.evaluationPriority);
  for (const entry of byPriority) {
    if (tokensLeft === 0) break;
    const more = Math.min(entry.item.tokens.length - entry.processAmount, tokensLeft);
    entry.processAmount += more;
    tokensLeft -= more;
  }
  return batch;
}
