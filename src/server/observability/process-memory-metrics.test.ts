import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createTestApp } from '../../../test/support/test-app.ts';

describe('process memory metrics', () => {
  it('are on /metrics under the standard names, with live values', async () => {
    const { app } = createTestApp();
    const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    for (const name of ['process_resident_memory_bytes', 'nodejs_heap_size_total_bytes', 'nodejs_heap_size_used_bytes', 'nodejs_external_memory_bytes']) {
      const value = Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1]);
      // A load benchmark reads these to tell a leak from noise: a zero would hide one.
      assert.ok(value > 0, `${name} is ${value}`);
    }
    await app.close();
  });
});
