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
}

export function llamaBenchArguments(settings: LlamaBenchSettings): string[] {
  // -r 1: the harness repeats and interleaves itself; llama-bench's own warm-up run stays on.
  return [
    '-m', settings.modelPath,
    '-p', String(settings.promptTokens),
    '-n', String(settings.generatedTokens),
    '-t', String(settings.threads),
    '-r', '1',
    '-o', 'json',
  ];
}

/** One llama-bench run: a prompt-processing test and a decode test, each after its own warm-up. */
export async function runLlamaBench(settings: LlamaBenchSettings): Promise<ThroughputSample & { rows: LlamaBenchRow[] }> {
  const { stdout } = await runCommand(settings.benchPath, llamaBenchArguments(settings), { timeoutMilliseconds: 300_000 });
  const rows = JSON.parse(stdout) as LlamaBenchRow[];
  const promptRow = rows.find((row) => row.n_prompt > 0 && row.n_gen === 0);
  const decodeRow = rows.find((row) => row.n_gen > 0 && row.n_prompt === 0);
  if (!promptRow || !decodeRow) throw new Error(`llama-bench output lacks a pp or tg row: ${stdout.slice(0, 400)}`);
  return { promptTokensPerSecond: promptRow.avg_ts, decodeTokensPerSecond: decodeRow.avg_ts, rows };
}
