import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ForcedCallStreamer } from './forced-call-streamer.ts';

/** The deltas for `whole` cut at `cuts`, joined back: what a client assembles. */
function streamed(whole: string, cuts: number[]) {
  const streamer = new ForcedCallStreamer();
  const points = [...new Set(cuts)].sort((a, b) => a - b);
  const chunks = [0, ...points].map((start, index) => whole.slice(start, points[index] ?? whole.length));
  const deltas = chunks.flatMap((chunk) => streamer.push(chunk));
  return {
    first: deltas[0],
    names: deltas.filter((delta) => delta.name !== undefined).length,
    arguments: deltas.map((delta) => delta.argumentsDelta).join(''),
    id: streamer.id,
  };
}

describe('ForcedCallStreamer', () => {
  // Braces, brackets, quotes and escapes inside strings must not end the arguments early.
  const argumentsText = '{"q": "a } ] \\" {", "list": [1, {"x": "]"}], "n": -2.5e3}';
  const wrappers = [
    ['<tool_call>\n{"name": "lookup", "arguments": ', '}\n</tool_call>'],
    ['[TOOL_CALLS][{"name":"lookup","arguments":', '}]'],
    ['{ "name" : "lookup" , "parameters" : ', ' }'],
  ] as const;

  it('streams the name once and the arguments up to their closing bracket, however the text is cut', () => {
    for (const [before, after] of wrappers) {
      const whole = `${before}${argumentsText}${after}`;
      fc.assert(
        fc.property(fc.array(fc.integer({ min: 1, max: whole.length - 1 }), { maxLength: 12 }), (cuts) => {
          const result = streamed(whole, cuts);
          assert.equal(result.names, 1);
          assert.deepEqual(result.first, { type: 'tool-call-delta', index: 0, id: result.id, name: 'lookup', argumentsDelta: '' });
          assert.deepEqual(JSON.parse(result.arguments), JSON.parse(argumentsText));
        }),
      );
    }
  });

  it('sends nothing before the name is whole', () => {
    const streamer = new ForcedCallStreamer();
    assert.deepEqual(streamer.push('<tool_call>\n{"name": "look'), []);
    assert.equal(streamer.push('up", ')[0]?.name, 'lookup');
  });
});
