import { z } from 'zod';

/**
 * What to do with a thinking model's thoughts, like llama-server's `--reasoning-format`:
 * `auto` splits them from the answer, `off` asks the template not to think where it has a switch
 * (Qwen3's `enable_thinking`) and splits whatever thinking still comes, `raw` leaves the text as
 * the model wrote it.
 */
export const reasoningModeSchema = z.enum(['auto', 'off', 'raw'], { error: 'reasoning must be auto, off or raw' });
export type ReasoningMode = z.infer<typeof reasoningModeSchema>;
