import type { ModelDescription } from '../types/api.ts';

/** Percent of a model loaded or downloaded so far, or null when nothing says. */
export function loadPercent(model: ModelDescription): number | null {
  if (model.status !== 'loading') return null;
  if (model.loadProgress != null) return Math.floor(model.loadProgress * 100);
  if (model.download?.totalBytes) return Math.floor((model.download.receivedBytes / model.download.totalBytes) * 100);
  return null;
}

/** The state as the model picker says it: ready (nothing), loading with progress, not loaded, or failed with its reason. */
export function describeModelState(model: ModelDescription): string {
  switch (model.status) {
    case 'ready':
      return '';
    case 'unloaded':
      return 'not loaded';
    case 'loading': {
      const percent = loadPercent(model);
      if (percent === null) return 'loading';
      return model.download?.totalBytes && model.loadProgress == null ? `downloading ${percent}%` : `loading ${percent}%`;
    }
    case 'failed': {
      const reason = model.error ?? 'no reason given';
      // An option is one line: the start of the reason, the whole of it in the notice below the chat.
      return `failed: ${reason.length > 60 ? `${reason.slice(0, 59)}…` : reason}`;
    }
  }
}
