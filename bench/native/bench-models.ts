import { ensureTestModel } from '../../scripts/test-models/ensure-test-model.ts';
import { isTestModelName, type TestModelName } from '../../scripts/test-models/test-model-catalog.ts';

/** The real-shape models the issue names; quick mode keeps the smallest so the whole run fits ten minutes. */
export const fullBenchModels: TestModelName[] = [
  'smollm2-135m-shape-q8_0',
  'smollm2-135m-shape-q4_0',
  'qwen2.5-0.5b-shape-q8_0',
  'qwen2.5-0.5b-shape-q4_0',
];
export const quickBenchModels: TestModelName[] = ['smollm2-135m-shape-q8_0'];

export function selectBenchModels(options: { quick: boolean; requested: string[] }): TestModelName[] {
  if (options.requested.length > 0) {
    const unknown = options.requested.filter((name) => !isTestModelName(name));
    if (unknown.length > 0) throw new Error(`unknown model(s): ${unknown.join(', ')}`);
    return options.requested as TestModelName[];
  }
  return options.quick ? quickBenchModels : fullBenchModels;
}

/** Generates the model on first use (random weights, real vocabulary), as the tests do. */
export async function benchModelPath(name: TestModelName): Promise<string> {
  return ensureTestModel(name);
}
