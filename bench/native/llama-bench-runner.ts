import { runCommand } from '../lib/run-command.ts';

export interface ThroughputSample {
  promptTokensPerSecond: number;
  decodeTokensPerSecond: number;
}

export interface LlamaBenchSettings {
  benchPath: string;
  modelPath: string;
  threads: number;
  promptTokens: number;
  generatedTokens: number;
}

/** The fields of llama-bench's `-o json` rows that we read. */
interface LlamaBenchRow {
  n_prompt: number;
  n_gen: number;
  avg_ts: number;
  cpu_info?: string;
  build_commit?: string;
  flash_attn?: unknown;
  type_k?: string;
  n_depth?: number;
}

/**
 * Two llama-bench runs, so that each test does the work anychat's does: prompt processing from an
 * empty cache (`-p N`), and decoding after that prompt (`-n M -d N`), because anychat's decode
 * tokens attend over the prompt it just read. llama-bench's plain tg test starts at depth 0 and
 * would flatter native by the attention over those N tokens.
 * -r 1: the harness repeats and interleaves itself; llama-bench's own warm-up run stays on.
 */
export function llamaBenchArguments(settings: LlamaBenchSettings): { prompt: string[]; decode: string[] } {
  const common = ['-m', settings.modelPath, '-t', String(settings.threads), '-r', '1', '-o', 'json'];
  return {
    prompt: [...common, '-p', String(settings.promptTokens), '-n', '0'],
    decode: [...common, '-p', '0', '-n', String(settings.generatedTokens), '-d', String(settings.promptTokens)],
  };
}

async function runLlamaBenchRows(benchPath: string, benchArguments: string[]): Promise<LlamaBenchRow[]> {
  const { stdout } = await runCommand(benchPath, benchArguments, { timeoutMilliseconds: 300_000 });
  return JSON.parse(stdout) as LlamaBenchRow[];
}

/** One measurement: the prompt-processing test, then the decode test at the prompt's depth, each after its own warm-up. */
export async function runLlamaBench(settings: LlamaBenchSettings): Promise<ThroughputSample & { rows: LlamaBenchRow[] }> {
  const benchArguments = llamaBenchArguments(settings);
  const rows = [...(await runLlamaBenchRows(settings.benchPath, benchArguments.prompt)), ...(await runLlamaBenchRows(settings.benchPath, benchArguments.decode))];
  const promptRow = rows.find((row) => row.n_prompt > 0 && row.n_gen === 0);
  const decodeRow = rows.find((row) => row.n_gen > 0 && row.n_prompt === 0);
  if (!promptRow || !decodeRow) throw new Error(`llama-bench output lacks a pp or tg row: ${JSON.stringify(rows).slice(0, 400)}`);
  return { promptTokensPerSecond: promptRow.avg_ts, decodeTokensPerSecond: decodeRow.avg_ts, rows };
}
