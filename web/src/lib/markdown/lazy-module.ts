/**
 * A module fetched the first time something asks for it. Rendering stays synchronous: callers
 * read `current` (null until loaded), call `request()`, and re-render when `subscribe` fires.
 * This keeps highlight.js and KaTeX out of the first-load bundle.
 */
export interface LazyModule<Value> {
  readonly current: Value | null;
  request(): void;
  load(): Promise<Value>;
  subscribe(listener: () => void): () => void;
}

export function createLazyModule<Value>(loader: () => Promise<Value>): LazyModule<Value> {
  let current: Value | null = null;
  let pending: Promise<Value> | null = null;
  const listeners = new Set<() => void>();

  function load(): Promise<Value> {
    pending ??= loader().then(
      (value) => {
        current = value;
        for (const listener of listeners) listener();
        return value;
      },
      (error: unknown) => {
        // A failed chunk fetch (offline, redeploy) must not stop later attempts.
        pending = null;
        throw error;
      },
    );
    return pending;
  }

  return {
    get current() {
      return current;
    },
    request() {
      load().catch((error: unknown) => console.warn('anychat: could not load a renderer', error));
    },
    load,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
