import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chooseSequence, continuesCache } from './choose-sequence.ts';
import { SequencePool } from './sequence-pool.ts';

interface FakeSequence {
  id: number;
  tokens: number[];
}

const describeFake = { cachedTokensOf: (sequence: FakeSequence) => sequence.tokens, idOf: (sequence: FakeSequence) => sequence.id };
const systemPrompt = [1, 2, 3, 4];
/** A conversation's cache: the shared system prompt, then its own turns. */
const conversation = (first: number, length: number): number[] => [...systemPrompt, ...Array.from({ length }, (_, index) => first + index)];

describe('chooseSequence', () => {
  it("takes the sequence the prompt continues, not one that shares only the system prompt", () => {
    const other = { id: 0, tokens: conversation(100, 40) };
    const own = { id: 1, tokens: conversation(200, 40) };
    const prompt = [...own.tokens, 7, 8, 9];
    assert.deepEqual(chooseSequence([other, own], prompt, describeFake), { sequence: own, kind: 'continues' });
  });

  it('prefers an empty sequence over taking a conversation that shares only the system prompt (the issue-14 failure)', () => {
    const busyConversation = { id: 0, tokens: conversation(100, 40) };
    const empty = { id: 1, tokens: [] };
    const newConversation = [...systemPrompt, 500, 501];
    assert.deepEqual(chooseSequence([busyConversation, empty], newConversation, describeFake), { sequence: empty, kind: 'empty' });
  });

  it('takes the least recently used sequence when none is empty and none is continued', () => {
    const leastRecent = { id: 2, tokens: conversation(100, 40) };
    const mostRecent = { id: 0, tokens: conversation(300, 40) };
    const prompt = [...systemPrompt, 900];
    assert.deepEqual(chooseSequence([leastRecent, mostRecent], prompt, describeFake), { sequence: leastRecent, kind: 'least-recently-used' });
  });

  it('among continued sequences takes the longest shared prefix, and the lower id on a tie', () => {
    const shorter = { id: 0, tokens: conversation(100, 10) };
    const longer = { id: 1, tokens: conversation(100, 20) };
    const prompt = conversation(100, 30);
    assert.equal(chooseSequence([shorter, longer], prompt, describeFake).sequence, longer);
    const twin = { id: 3, tokens: conversation(100, 20) };
    assert.equal(chooseSequence([twin, longer], prompt, describeFake).sequence, longer);
  });

  it('takes the lowest-id empty sequence, keeping busy ids packed for batched decodes', () => {
    const sequences = [{ id: 3, tokens: [] }, { id: 1, tokens: [] }, { id: 2, tokens: [] }];
    assert.equal(chooseSequence(sequences, [1, 2], describeFake).sequence.id, 1);
  });

  it('counts a regeneration (same prompt, cache holds the old answer too) as a continuation', () => {
    const cached = [...conversation(100, 40), 60, 61, 62, 63];
    assert.equal(continuesCache(cached, conversation(100, 40)), true);
    assert.equal(continuesCache(cached, [...systemPrompt, 1000]), false);
    assert.equal(continuesCache([], [1, 2]), false);
  });
});

describe('SequencePool order', () => {
  it('offers free sequences least recently used first, a released one going last', async () => {
    const pool = new SequencePool(['a', 'b', 'c']);
    const offered: string[][] = [];
    const takeFirst = (free: readonly string[]): string => {
      offered.push([...free]);
      return free[0] as string;
    };
    const a = await pool.acquire(undefined, takeFirst);
    const b = await pool.acquire(undefined, takeFirst);
    a.release();
    const c = await pool.acquire(undefined, takeFirst);
    b.release();
    c.release();
    await pool.acquire(undefined, takeFirst);
    assert.deepEqual(offered, [['a', 'b', 'c'], ['b', 'c'], ['c', 'a'], ['a', 'b', 'c']]);
  });

  it('uses each request its own chooser', async () => {
    const pool = new SequencePool(['a', 'b', 'c']);
    const lease = await pool.acquire(undefined, (free) => free.find((sequence) => sequence === 'c') as string);
    assert.equal(lease.sequence, 'c');
    assert.deepEqual(pool.stats(), { activeSequences: 1, queuedRequests: 0, parallel: 3 });
  });
});
