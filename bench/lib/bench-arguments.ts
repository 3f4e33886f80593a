import { parseArgs } from 'node:util';

export interface BenchArguments {
  /** Fewer models and repetitions, so `npm run bench -- --quick` stays under ten minutes. */
  quick: boolean;
  /** Wall-clock budget for this program; it stops adding repetitions once spent (after a minimum). */
  budgetSeconds: number | undefined;
  /** Only these model names, when given. */
  models: string[];
  /** Threads for every engine in the comparison; undefined means anychat's own default. */
  threads: number | undefined;
}

/** Reads the flags every bench program shares; unknown flags are left for the program to reject or ignore. */
export function parseBenchArguments(argumentList = process.argv.slice(2)): BenchArguments {
  const { values } = parseArgs({
    args: argumentList,
    options: {
      quick: { type: 'boolean', default: false },
      'budget-seconds': { type: 'string' },
      model: { type: 'string', multiple: true },
      threads: { type: 'string' },
    },
    strict: false,
  });
  const budget = typeof values['budget-seconds'] === 'string' ? Number(values['budget-seconds']) : undefined;
  const threads = typeof values.threads === 'string' ? Number(values.threads) : undefined;
  return {
    threads: threads !== undefined && Number.isInteger(threads) && threads > 0 ? threads : undefined,
    quick: values.quick === true,
    budgetSeconds: budget !== undefined && Number.isFinite(budget) && budget > 0 ? budget : undefined,
    models: Array.isArray(values.model) ? values.model.filter((model): model is string => typeof model === 'string') : [],
  };
}

/** A deadline that answers "is there time for one more repetition of this length?". */
export class TimeBudget {
  private readonly deadline: number;
  constructor(seconds: number | undefined) {
    this.deadline = seconds === undefined ? Number.POSITIVE_INFINITY : performance.now() + seconds * 1000;
  }

  allows(nextStepMilliseconds: number): boolean {
    return performance.now() + nextStepMilliseconds <= this.deadline;
  }

  get remainingSeconds(): number {
    return Math.max(0, (this.deadline - performance.now()) / 1000);
  }
}
