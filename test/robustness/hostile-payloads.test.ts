import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hostilePayloads } from './hostile-payloads.ts';

test('the hostile corpus has at least 150 distinct payloads, each kind well represented', () => {
  assert.ok(hostilePayloads.length >= 150, `${hostilePayloads.length} payloads`);
  assert.equal(new Set(hostilePayloads.map((payload) => payload.markdown)).size, hostilePayloads.length);
  const perKind = new Map<string, number>();
  for (const payload of hostilePayloads) perKind.set(payload.kind, (perKind.get(payload.kind) ?? 0) + 1);
  for (const [kind, count] of perKind) assert.ok(count >= 8, `${kind}: ${count}`);
});

test('every payload carries its own marker, and no other', () => {
  // The browser suite tells payloads apart by marker: one in two payloads would hide a loss.
  assert.equal(new Set(hostilePayloads.map((payload) => payload.marker)).size, hostilePayloads.length);
  for (const payload of hostilePayloads) {
    assert.ok(payload.markdown.includes(payload.marker), payload.id);
    const markers = new Set(payload.markdown.match(/hostile\d{3}/g));
    assert.deepEqual([...markers], [payload.marker], payload.id);
    assert.ok(!payload.markdown.includes('MARKER'), payload.id);
  }
});
