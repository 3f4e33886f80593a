import type { GenerationRecord } from '../../src/chat/conversation.ts';

/** A generation record with every field filled, so round trips show nothing is dropped. */
export function sampleGeneration(overrides: Partial<GenerationRecord> = {}): GenerationRecord {
  return {
    status: 'done',
    finishReason: 'eos',
    error: null,
    backend: 'echo',
    modelId: 'echo-1',
    template: 'messages',
    prompt: {
      kind: 'messages',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Say "hi" — ünïcødé 👋' },
      ],
    },
    parameters: { maxNewTokens: 64, temperature: 0.5, stop: ['\n\nUser:'], topP: 0.9, topK: 40, seed: 7 },
    contextWindow: 4096,
    promptTokens: 17,
    droppedTurns: 0,
    usage: { promptTokens: 17, completionTokens: 3 },
    timings: { timeToFirstTokenMs: 12.5, tokensPerSecond: 41.25, totalMs: 85 },
    reasoning: null,
    ...overrides,
  };
}

/** Thinking as a reasoning model's answer keeps it (GenerationRecord.reasoning). */
export const sampleReasoning = { text: 'They greet me — ünïcødé 🤔; a short "hi" fits.', startedAt: '2025-01-31T12:00:00.000Z', durationMs: 1250 };
