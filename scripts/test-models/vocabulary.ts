import { readGgufHeader } from '../gguf/gguf-reader.ts';
import { GgufValueType, type GgufTypedValue } from '../gguf/gguf-types.ts';
import { ensureLlamaCppSource, vocabularyPath } from './llama-cpp-source.ts';

export interface VocabularySpec {
  /** `models/ggml-vocab-<file>.gguf` in the llama.cpp sources. */
  file: string;
  /** Token id → new text, for control tokens the imitated model has where the file has others. */
  renameTokens?: Record<number, string>;
  endOfSequenceText: string;
  beginningOfSequenceText: string;
  addBeginningOfSequence: boolean;
}

/** llama.cpp's `LLAMA_TOKEN_TYPE_CONTROL`: parsed as one special token, hidden when rendering output. */
const CONTROL_TOKEN_TYPE = 3;

export interface Vocabulary {
  /** Every `tokenizer.ggml.*` key, ready to write into a model file. */
  metadata: Map<string, GgufTypedValue>;
  tokenCount: number;
}

/** Copies a real tokenizer (tokens, types, merges, pre-tokenizer) out of a llama.cpp vocabulary file. */
export async function loadVocabulary(spec: VocabularySpec): Promise<Vocabulary> {
  await ensureLlamaCppSource();
  const header = await readGgufHeader(vocabularyPath(spec.file));
  const metadata = new Map<string, GgufTypedValue>();
  for (const [key, value] of header.metadata) {
    // The vocabulary files carry their source model's template; ours sets its own.
    if (key.startsWith('tokenizer.') && key !== 'tokenizer.chat_template') metadata.set(key, value);
  }
  const tokens = metadata.get('tokenizer.ggml.tokens');
  const tokenTypes = metadata.get('tokenizer.ggml.token_type');
  if (tokens?.type !== GgufValueType.Array || tokenTypes?.type !== GgufValueType.Array) {
    throw new Error(`${vocabularyPath(spec.file)} has no tokenizer.ggml.tokens/token_type arrays`);
  }
  const tokenTexts = [...tokens.items];
  const types = [...tokenTypes.items];
  for (const [id, text] of Object.entries(spec.renameTokens ?? {})) {
    tokenTexts[Number(id)] = text;
    types[Number(id)] = CONTROL_TOKEN_TYPE;
  }
  metadata.set('tokenizer.ggml.tokens', { ...tokens, items: tokenTexts });
  metadata.set('tokenizer.ggml.token_type', { ...tokenTypes, items: types });
  const idOf = (text: string): number => {
    const id = tokenTexts.indexOf(text);
    if (id === -1) throw new Error(`vocabulary ${spec.file} has no token ${JSON.stringify(text)}`);
    return id;
  };
  metadata.set('tokenizer.ggml.eos_token_id', { type: GgufValueType.Uint32, value: idOf(spec.endOfSequenceText) });
  metadata.set('tokenizer.ggml.bos_token_id', { type: GgufValueType.Uint32, value: idOf(spec.beginningOfSequenceText) });
  metadata.set('tokenizer.ggml.add_bos_token', { type: GgufValueType.Bool, value: spec.addBeginningOfSequence });
  return { metadata, tokenCount: tokenTexts.length };
}
