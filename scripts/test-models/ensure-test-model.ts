import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readGgufHeader } from '../gguf/gguf-reader.ts';
import { writeGgufFile } from '../gguf/gguf-writer.ts';
import { modelMetadata, RECIPE_KEY, recipeOf } from './model-metadata.ts';
import { modelTensors } from './model-tensors.ts';
import { repositoryRoot } from './repository-root.ts';
import { isTestModelName, testModelCatalog, type TestModelName } from './test-model-catalog.ts';
import { loadVocabulary } from './vocabulary.ts';

export const testModelDirectory = join(repositoryRoot, '.cache', 'models');

export function testModelPath(name: TestModelName): string {
  return join(testModelDirectory, `${name}.gguf`);
}

/** Generations in flight in this process, so parallel callers share one write. */
const pending = new Map<TestModelName, Promise<string>>();

/**
 * Returns the path of a generated test model, building it first when the cached file is missing
 * or was built from a different recipe. Tests and benchmarks call this, so a fresh clone needs no
 * separate setup step.
 */
export function ensureTestModel(name: TestModelName): Promise<string> {
  if (!isTestModelName(name)) throw new Error(`unknown test model ${JSON.stringify(name)}; known: ${Object.keys(testModelCatalog).join(', ')}`);
  let promise = pending.get(name);
  if (!promise) {
    promise = buildIfNeeded(name).finally(() => pending.delete(name));
    pending.set(name, promise);
  }
  return promise;
}

async function buildIfNeeded(name: TestModelName): Promise<string> {
  const path = testModelPath(name);
  if (await isCurrent(path, name)) return path;
  const spec = testModelCatalog[name];
  const vocabulary = await loadVocabulary(spec.vocabulary);
  await mkdir(testModelDirectory, { recursive: true });
  await writeGgufFile(path, modelMetadata(name, spec, vocabulary), modelTensors(spec, vocabulary.tokenCount));
  return path;
}

/** The writer renames into place only when finished, so a readable header with our recipe means a whole file. */
async function isCurrent(path: string, name: TestModelName): Promise<boolean> {
  if (!existsSync(path)) return false;
  try {
    const header = await readGgufHeader(path);
    const recipe = header.metadata.get(RECIPE_KEY);
    return recipe?.type !== undefined && 'value' in recipe && recipe.value === recipeOf(name, testModelCatalog[name]);
  } catch {
    return false;
  }
}
