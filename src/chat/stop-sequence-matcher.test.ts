import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StopSequenceMatcher } from './stop-sequence-matcher.ts';

function run(stops: string[], deltas: string[]): { shown: string; stopped: boolean; flushed: string } {
  const matcher = new StopSequenceMatcher(stops);
  let shown = '';
  for (const delta of deltas) {
    const { text, stopped } = matcher.push(delta);
    shown += text;
    if (stopped) return { shown, stopped, flushed: '' };
  }
  return { shown, stopped: false, flushed: matcher.flush() };
}

describe('StopSequenceMatcher', () => {
  it('stops at a stop sequence split across deltas, showing none of it', () => {
    assert.deepEqual(run(['\nUser:'], ['Paris.', '\nUs', 'er:', ' more']), { shown: 'Paris.', stopped: true, flushed: '' });
  });

  it('holds back a possible prefix, and lets it through once it is not one', () => {
    const matcher = new StopSequenceMatcher(['</s>']);
    assert.deepEqual(matcher.push('a </'), { text: 'a ', stopped: false });
    assert.deepEqual(matcher.push('b>'), { text: '</b>', stopped: false });
    assert.deepEqual(matcher.push('</s'), { text: '', stopped: false });
    assert.equal(matcher.flush(), '</s');
  });

  it('handles self-overlapping stops (KMP fallbacks) and several stops at once', () => {
    assert.deepEqual(run(['aab'], ['aaaa', 'ab tail']), { shown: 'aaa', stopped: true, flushed: '' });
    assert.deepEqual(run(['xyz', 'END'], ['one E', 'N', 'D two']), { shown: 'one ', stopped: true, flushed: '' });
    assert.deepEqual(run(['abab'], ['aba', 'c', 'abab']), { shown: 'abac', stopped: true, flushed: '' });
    assert.deepEqual(run([], ['no stops']), { shown: 'no stops', stopped: false, flushed: '' });
  });

  it('stays linear: 32k words matching a long stop prefix take a few comparisons per character', () => {
    // The review's case: the text keeps matching a long stop sequence's prefix, so everything is
    // held back and re-examined on every delta by a quadratic matcher (1 s of CPU for 32k words).
    const words = 32_000;
    const stop = `${'word '.repeat(words)}END`;
    const matcher = new StopSequenceMatcher([stop, 'word word x']);
    let shown = '';
    for (let index = 0; index < words; index++) shown += matcher.push('word ').text;
    shown += matcher.push('NOT').text + matcher.flush();
    const characters = words * 'word '.length + 3;
    assert.equal(shown, `${'word '.repeat(words)}NOT`);
    assert.ok(matcher.steps <= 4 * 2 * characters, `${matcher.steps} comparisons for ${characters} characters`);
  });
});
