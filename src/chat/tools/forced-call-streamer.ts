import type { GenerationEvent } from '../../backends/backend.ts';
import { newToolCallId } from './parse-tool-calls.ts';

type ToolCallDelta = Extract<GenerationEvent, { type: 'tool-call-delta' }>;

/** `"name": "…"` with JSON's escapes, then the arguments key and its colon. */
const NAME = /"name"\s*:\s*"((?:[^"\\]|\\.)*)"/;
const ARGUMENTS_KEY = /"(?:arguments|parameters)"\s*:\s*/;

/**
 * Streams the one call a grammar forces (`tool_choice` `required` or a named function) as it is
 * decoded: the first delta carries an id and the name once the name is written, the rest are the
 * arguments' JSON text as it grows, and nothing after the arguments' closing bracket (the
 * wrapper's `}`, `]` or `</tool_call>`). The grammar (build-grammar.ts) writes `name` before the
 * arguments and makes the whole call valid, so the fragments join into JSON the schema accepts;
 * the complete call, parsed and validated at the end, still follows with the same id.
 */
export class ForcedCallStreamer {
  readonly id = newToolCallId();
  private text = '';
  private argumentsStart: number | null = null;
  private sent = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private scanned = 0;
  private ended = false;
  private named = false;

  /** The deltas the new text completes. */
  push(text: string): ToolCallDelta[] {
    this.text += text;
    const deltas: ToolCallDelta[] = [];
    if (!this.named) {
      const name = NAME.exec(this.text);
      if (!name) return deltas;
      this.named = true;
      deltas.push({ type: 'tool-call-delta', index: 0, id: this.id, name: JSON.parse(`"${name[1]}"`) as string, argumentsDelta: '' });
    }
    if (this.argumentsStart === null) {
      const key = ARGUMENTS_KEY.exec(this.text);
      if (!key) return deltas;
      this.argumentsStart = key.index + key[0].length;
      this.sent = this.scanned = this.argumentsStart;
    }
    const end = this.scan();
    const upTo = end ?? this.text.length;
    if (upTo > this.sent) {
      deltas.push({ type: 'tool-call-delta', index: 0, argumentsDelta: this.text.slice(this.sent, upTo) });
      this.sent = upTo;
    }
    return deltas;
  }

  /** Where the arguments' value ends (one past its closing bracket), once it has; null before. */
  private scan(): number | null {
    if (this.ended) return this.sent;
    for (; this.scanned < this.text.length; this.scanned++) {
      const character = this.text[this.scanned];
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (character === '\\') this.escaped = true;
        else if (character === '"') this.inString = false;
      } else if (character === '"') this.inString = true;
      else if (character === '{' || character === '[') this.depth++;
      else if (character === '}' || character === ']') {
        this.depth--;
        if (this.depth === 0) {
          this.ended = true;
          this.scanned++;
          return this.scanned;
        }
      }
    }
    return null;
  }
}
