/**
 * `npm run bench:native:build`: builds native `llama-bench` and `llama-server` (CPU only) from the
 * llama.cpp commit node-llama-cpp bundles, into .cache/llama.cpp-native/build/bin. Cached: reruns
 * return at once while the commit and options are unchanged. Takes tens of minutes on two cores.
 */
import { ensureNativeLlama } from './native-llama-build.ts';

const startedAt = performance.now();
const native = await ensureNativeLlama({ echo: true });
console.log(`native llama.cpp ${native.commit.slice(0, 12)} ready in ${((performance.now() - startedAt) / 1000).toFixed(0)} s`);
console.log(`  ${native.benchPath}\n  ${native.serverPath}`);
