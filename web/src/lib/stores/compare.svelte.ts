/**
 * The models a message is also sent to, beside the one in the model picker: with any chosen, a
 * send asks them all at once and shows their answers side by side (CompareAnswers.svelte).
 */
class CompareStore {
  extraModelIds = $state<string[]>([]);

  toggle(modelId: string): void {
    this.extraModelIds = this.extraModelIds.includes(modelId) ? this.extraModelIds.filter((id) => id !== modelId) : [...this.extraModelIds, modelId];
  }

  /** The models to compare for a send to `mainModelId`: it first, then the others chosen, each once. */
  modelsFor(mainModelId: string): string[] {
    return [mainModelId, ...this.extraModelIds.filter((id) => id !== mainModelId)];
  }
}

export const compare = new CompareStore();
