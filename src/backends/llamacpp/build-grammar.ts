import type { Llama, LlamaGrammar } from 'node-llama-cpp';
import { anyOfAsOneOf } from '../../chat/structured-output/grammar-schema-support.ts';
import type { ResponseFormat } from '../../chat/structured-output/response-format.ts';
import type { ToolChoice, ToolDefinition } from '../../chat/tools/tool-definition.ts';

/** How the model's family writes a call, from its chat template (see parse-tool-calls.ts). */
export type ToolCallSyntax = 'hermes' | 'mistral' | 'json';

export function toolCallSyntaxOf(chatTemplate: string | null): ToolCallSyntax {
  if (chatTemplate?.includes('[TOOL_CALLS]')) return 'mistral';
  if (chatTemplate?.includes('<tool_call>') || !chatTemplate?.includes('tools')) return 'hermes';
  return 'json';
}

/**
 * node-llama-cpp writes grammars for its own chat loop, and two of its choices hurt here:
 * - the root ends with `"\n\n\n\n" [\n]*`, newlines that its LlamaChat trims and that would end up
 *   in our answer (and let a random-weight model pad forever);
 * - exponents may have 16 digits, so `9e395` is allowed, which JSON.parse reads as Infinity and
 *   which then is not a number a schema accepts. Two exponent digits keep every value finite.
 */
function patchJsonGrammar(grammar: string): string {
  return grammar
    .replace(/^(root ::= .*?)\s*"\\n\\n\\n\\n" \[\\n\]\*\s*$/m, '$1')
    .replaceAll('[eE] [-+]? ("0" | [1-9] [0-9]{0,15})', '[eE] [-+]? [0-9]{1,2}');
}

/** JSON grammar text for a schema (null schema: any JSON object), with its root renamed. */
async function jsonRule(llama: Llama, schema: unknown, rootName: string): Promise<string> {
  const grammar =
    schema === null
      ? (await llama.getGrammarFor('json')).grammar
      : (await llama.createGrammarForJsonSchema(anyOfAsOneOf(schema) as Parameters<Llama['createGrammarForJsonSchema']>[0])).grammar;
  return patchJsonGrammar(grammar).replace(/^root ::=/m, `${rootName} ::=`);
}

/**
 * Grammars for one loaded model, cached by what they enforce: building one parses the schema
 * into GBNF and compiles it natively, which costs more than a short answer.
 */
export class GrammarCache {
  private readonly grammars = new Map<string, Promise<LlamaGrammar>>();

  constructor(
    private readonly llama: Llama,
    private readonly chatTemplate: string | null,
  ) {}

  /** A grammar for the answer's format; null for plain text or regex (refused before this). */
  forResponseFormat(format: ResponseFormat | undefined): Promise<LlamaGrammar> | null {
    if (!format || format.type === 'regex') return null;
    const schema = format.type === 'json-object' ? null : format.schema;
    return this.cached(`format:${JSON.stringify(schema)}`, async () => {
      const rule = await jsonRule(this.llama, schema, 'answer');
      return this.llama.createGrammar({ grammar: `root ::= answer\n${rule}` });
    });
  }

  /**
   * With `required` or a named function, the answer must be one call, written the way the model's
   * family writes calls so the same parser reads it: the name is one of the tools' (as a const) and
   * the arguments follow that tool's schema. Null when the model is free not to call.
   */
  forToolChoice(tools: readonly ToolDefinition[], choice: ToolChoice | undefined): Promise<LlamaGrammar> | null {
    if (choice !== 'required' && (typeof choice !== 'object' || choice === null)) return null;
    const allowed = typeof choice === 'object' ? tools.filter((tool) => tool.name === choice.name) : tools;
    const syntax = toolCallSyntaxOf(this.chatTemplate);
    const argumentsKey = syntax === 'json' ? 'parameters' : 'arguments';
    const callSchema = {
      oneOf: allowed.map((tool) => ({
        type: 'object',
        properties: { name: { const: tool.name }, [argumentsKey]: tool.parameters ?? { type: 'object' } },
        required: ['name', argumentsKey],
      })),
    };
    return this.cached(`tools:${syntax}:${JSON.stringify(callSchema)}`, async () => {
      const rule = await jsonRule(this.llama, callSchema, 'call');
      const root =
        syntax === 'hermes' ? 'root ::= "<tool_call>\\n" call "\\n</tool_call>"' : syntax === 'mistral' ? 'root ::= "[TOOL_CALLS][" call "]"' : 'root ::= call';
      return this.llama.createGrammar({ grammar: `${root}\n${rule}` });
    });
  }

  private cached(key: string, build: () => Promise<LlamaGrammar>): Promise<LlamaGrammar> {
    let grammar = this.grammars.get(key);
    if (!grammar) {
      grammar = build();
      // A failed build is not kept: the next request gets its own error.
      grammar.catch(() => this.grammars.delete(key));
      this.grammars.set(key, grammar);
    }
    return grammar;
  }
}
