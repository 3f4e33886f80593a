import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AnswerStreamSplitter } from '../answer-stream-splitter.ts';
import { parseToolCalls } from './parse-tool-calls.ts';
import type { ToolDefinition } from './tool-definition.ts';

const tools: ToolDefinition[] = [
  { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
  { name: 'get_time', parameters: { type: 'object', properties: { zone: { enum: ['UTC', 'CET'] } }, required: ['zone'] } },
];
const shapes = (text: string) => parseToolCalls(text, tools)?.calls.map(({ name, arguments: args }) => ({ name, arguments: JSON.parse(args) as unknown }));

describe('parseToolCalls', () => {
  it('reads the Hermes/Qwen, Mistral and Llama 3 ways of writing calls', () => {
    assert.deepEqual(shapes('<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>\n<tool_call>{"name": "get_time", "arguments": {"zone": "UTC"}}</tool_call>'), [
      { name: 'get_weather', arguments: { city: 'Paris' } },
      { name: 'get_time', arguments: { zone: 'UTC' } },
    ]);
    assert.deepEqual(shapes('[TOOL_CALLS][{"name": "get_time", "arguments": {"zone": "CET"}}]'), [{ name: 'get_time', arguments: { zone: 'CET' } }]);
    assert.deepEqual(shapes('<|python_tag|>{"name": "get_weather", "parameters": {"city": "Oslo"}}'), [{ name: 'get_weather', arguments: { city: 'Oslo' } }]);
    // Some models write the arguments as a JSON string.
    assert.deepEqual(shapes('{"name": "get_weather", "arguments": "{\\"city\\": \\"Rome\\"}"}'), [{ name: 'get_weather', arguments: { city: 'Rome' } }]);
  });

  it('keeps the words a Hermes model writes before its call', () => {
    assert.equal(parseToolCalls('Let me check.\n<tool_call>{"name": "get_time", "arguments": {"zone": "UTC"}}</tool_call>', tools)?.text, 'Let me check.');
  });

  it('returns null for calls that do not parse, name no tool, or break the schema', () => {
    for (const text of [
      '<tool_call>{"name": "get_weather", "arguments": {"city": "Par',
      '<tool_call>{"name": "launch_rockets", "arguments": {}}</tool_call>',
      '{"name": "get_time", "arguments": {"zone": "PST"}}',
      '{"name": "get_weather", "arguments": {}}',
      '{"answer": 42}',
      'Just text.',
    ]) {
      assert.equal(parseToolCalls(text, tools), null, text);
    }
  });
});

describe('AnswerStreamSplitter with tools', () => {
  it('holds a call until the end and lets a broken one out as text', () => {
    const splitter = new AnswerStreamSplitter({ reasoning: null, tools, callRequired: false });
    assert.deepEqual(splitter.push('<tool_'), []);
    assert.deepEqual(splitter.push('call>{"name": "get_time", "arguments": {"zone": "XX"}}</tool_call>'), []);
    assert.deepEqual(splitter.finish(), {
      events: [{ type: 'text-delta', text: '<tool_call>{"name": "get_time", "arguments": {"zone": "XX"}}</tool_call>' }],
      calledTools: false,
    });
  });

  it('streams text that cannot be a call at once, and keeps only the first call with parallel calls off', () => {
    const text = new AnswerStreamSplitter({ reasoning: null, tools, callRequired: false });
    assert.deepEqual(text.push('Hello'), [{ type: 'text-delta', text: 'Hello' }]);
    const single = new AnswerStreamSplitter({ reasoning: null, tools, callRequired: false, singleCall: true });
    single.push('<tool_call>{"name": "get_time", "arguments": {"zone": "UTC"}}</tool_call><tool_call>{"name": "get_time", "arguments": {"zone": "CET"}}</tool_call>');
    const { events, calledTools } = single.finish();
    assert.equal(calledTools, true);
    assert.equal(events.filter((event) => event.type === 'tool-call').length, 1);
  });
});
