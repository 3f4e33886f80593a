/**
 * `npm run models [-- NAME...]`: generates the random-weight GGUF test models into .cache/models/
 * (all of them by default), skipping those already built from the current recipe.
 */
import { stat } from 'node:fs/promises';
import { ensureTestModel } from './test-models/ensure-test-model.ts';
import { isTestModelName, testModelCatalog, type TestModelName } from './test-models/test-model-catalog.ts';

const requested = process.argv.slice(2);
const unknown = requested.filter((name) => !isTestModelName(name));
if (unknown.length > 0) {
  console.error(`unknown model(s): ${unknown.join(', ')}\nknown: ${Object.keys(testModelCatalog).join(', ')}`);
  process.exit(2);
}
const names = (requested.length > 0 ? requested : Object.keys(testModelCatalog)) as TestModelName[];
for (const name of names) {
  const startedAt = performance.now();
  const path = await ensureTestModel(name);
  const { size } = await stat(path);
  const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
  console.log(`${name.padEnd(26)} ${(size / 1024 / 1024).toFixed(1).padStart(7)} MiB  ${seconds.padStart(5)} s  ${path}`);
}
