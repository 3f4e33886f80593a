import { Option, type Command } from 'commander';
import { addMcpOptions, type McpOptionValues } from './mcp-options.ts';

export interface TerminalToolOptions extends McpOptionValues {
  /** Run every offered tool without asking (scripts); `never` tools stay unoffered. */
  approveTools?: boolean;
  /** The first turn's tool choice; later turns are `auto`. */
  toolChoice: 'auto' | 'required';
}

/** `--mcp-config` and friends, plus what only the terminal needs. */
export function addTerminalToolOptions(command: Command): Command {
  return addMcpOptions(command)
    .addOption(new Option('--approve-tools', 'run tools whose policy is "ask" without asking (for scripts)'))
    .addOption(new Option('--tool-choice <choice>', 'the first turn: auto (the model decides) or required (it must call a tool)').choices(['auto', 'required']).default('auto'));
}
