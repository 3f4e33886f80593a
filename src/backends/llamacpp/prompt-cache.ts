import { existsSync } from 'node:fs';
import { mkdtemp, rm, statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { continuesCache, sharedPrefixLength } from './choose-sequence.ts';

/** What the cache needs of a llama.cpp sequence (node-llama-cpp's LlamaContextSequence has it). */
export interface SequenceWithState {
  readonly contextTokens: readonly number[];
  saveStateToFile(filePath: string): Promise<{ fileSize: number }>;
  loadStateFromFile(filePath: string, acceptRisk: { acceptRisk: true }): Promise<void>;
  clearHistory(): Promise<void>;
}

export interface PromptCacheEntry {
  readonly tokens: readonly number[];
  readonly file: string;
  readonly bytes: number;
}

export interface PromptCacheStats {
  /** The limit, `--prompt-cache-mib` in bytes; 0 turns the cache off. */
  maxBytes: number;
  entries: number;
  bytes: number;
  saves: number;
  restores: number;
  /** Entries removed to stay under the limit. */
  evictions: number;
  /** Saves or restores that failed (the conversation is then evaluated again; nothing else is lost). */
  failures: number;
}

/**
 * Keeps the KV-cache state of conversations whose sequence had to be given to another
 * conversation, so that when one comes back its history is loaded instead of evaluated again:
 * llama-server's `--cache-ram`. States are llama.cpp's own sequence state files
 * (llama_state_seq_save_file, through node-llama-cpp's saveStateToFile, the only full-state API
 * it exposes: its in-memory checkpoints hold only the sliding-window part), written into a
 * private folder under /dev/shm, which is RAM, where the system has it, else the temp folder.
 * Least recently saved or used entries go first when the total passes the limit.
 */
export class PromptCache {
  /** Map order is the LRU order: an entry is (re)inserted at the end when saved. */
  private readonly entries = new Map<string, PromptCacheEntry>();
  private bytes = 0;
  private fileNumber = 0;
  private readonly counters = { saves: 0, restores: 0, evictions: 0, failures: 0 };

  private constructor(
    private readonly directory: string | null,
    readonly maxBytes: number,
  ) {}

  static async open(maxBytes: number, parentDirectory?: string): Promise<PromptCache> {
    if (maxBytes <= 0) return new PromptCache(null, 0);
    parentDirectory ??= (await ramFolderWithRoom(maxBytes)) ?? tmpdir();
    const directory = await mkdtemp(join(parentDirectory, 'anychat-prompt-cache-')).catch(() => mkdtemp(join(tmpdir(), 'anychat-prompt-cache-')));
    return new PromptCache(directory, maxBytes);
  }

  get enabled(): boolean {
    return this.directory !== null;
  }

  stats(): PromptCacheStats {
    return { maxBytes: this.maxBytes, entries: this.entries.size, bytes: this.bytes, ...this.counters };
  }

  /** Saves the sequence's state; older entries that it extends are dropped, being prefixes of it. */
  async save(sequence: SequenceWithState): Promise<void> {
    if (this.directory === null) return;
    const tokens = sequence.contextTokens;
    if (tokens.length < 2) return;
    const file = join(this.directory, `${++this.fileNumber}.state`);
    let bytes: number;
    try {
      ({ fileSize: bytes } = await sequence.saveStateToFile(file));
    } catch {
      this.counters.failures++;
      await rm(file, { force: true });
      return;
    }
    this.counters.saves++;
    for (const [key, entry] of this.entries) {
      if (entry.tokens.length <= tokens.length && sharedPrefixLength(entry.tokens, tokens) === entry.tokens.length) await this.remove(key);
    }
    this.entries.set(file, { tokens, file, bytes });
    this.bytes += bytes;
    while (this.bytes > this.maxBytes) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.counters.evictions++;
      await this.remove(oldest);
    }
  }

  /** The saved state the prompt continues, the longest shared prefix first. */
  find(prompt: readonly number[]): PromptCacheEntry | undefined {
    let best: PromptCacheEntry | undefined;
    let bestShared = 0;
    for (const entry of this.entries.values()) {
      if (!continuesCache(entry.tokens, prompt)) continue;
      const shared = sharedPrefixLength(entry.tokens, prompt);
      if (shared > bestShared) [best, bestShared] = [entry, shared];
    }
    return best;
  }

  /**
   * Loads an entry into the sequence and forgets it (the sequence holds it now, and is saved again
   * when given away). False when another request took it first or loading failed; the sequence is
   * then empty.
   */
  async restore(entry: PromptCacheEntry, sequence: SequenceWithState): Promise<boolean> {
    if (this.entries.get(entry.file) !== entry) return false;
    this.entries.delete(entry.file);
    this.bytes -= entry.bytes;
    try {
      await sequence.loadStateFromFile(entry.file, { acceptRisk: true });
      this.counters.restores++;
      return true;
    } catch {
      this.counters.failures++;
      await sequence.clearHistory();
      return false;
    } finally {
      await rm(entry.file, { force: true });
    }
  }

  async close(): Promise<void> {
    this.entries.clear();
    this.bytes = 0;
    if (this.directory !== null) await rm(this.directory, { recursive: true, force: true });
  }

  private async remove(key: string): Promise<void> {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.bytes -= entry.bytes;
    await rm(entry.file, { force: true });
  }
}

/** /dev/shm when it exists and has room for the whole cache (Docker gives it only 64 MiB by default). */
async function ramFolderWithRoom(bytes: number): Promise<string | null> {
  if (!existsSync('/dev/shm')) return null;
  try {
    const space = await statfs('/dev/shm');
    return space.bavail * space.bsize >= bytes ? '/dev/shm' : null;
  } catch {
    return null;
  }
}
