import type { ConversationStore } from './conversation-store.ts';

/**
 * The conversation store while its database is still opening. `serve` listens before the database
 * has opened (PGlite takes most of a second to start): `/health` and the TGI and OpenAI routes
 * never read conversations and answer at once, and a call on this store waits for the open, then
 * goes to the real store. If the open fails, every call fails with its error (and serve exits).
 *
 * Every member of a store is an async method, except `forOwner` (a store, deferred the same way)
 * and `answerNotifications` and `accounts` (objects of async methods, deferred the same way). A
 * store without accounts (only the tests' in-memory store) cannot be deferred: its `accounts` is
 * null, which must be known before the open. serve awaits the open under `--auth accounts` anyway.
 */
export function storeOnceOpen(opening: Promise<ConversationStore>): ConversationStore {
  return deferred(opening, {
    forOwner: (ownerId: string) => storeOnceOpen(opening.then((store) => store.forOwner(ownerId))),
    answerNotifications: deferred(opening.then((store) => store.answerNotifications)),
    accounts: deferred(
      opening.then((store) => {
        if (!store.accounts) throw new Error('this store keeps no accounts');
        return store.accounts;
      }),
    ),
  }) as ConversationStore;
}

/** An object whose every method call waits for `target`, then calls the same method on it; `members` are given as they are. */
function deferred<T extends object>(target: Promise<T>, members: Record<string, unknown> = {}): T {
  // Marked handled here: a failed open surfaces in each call, and in serve's own await of it.
  target.catch(() => {});
  return new Proxy({} as T, {
    get(_, name) {
      if (typeof name === 'string' && name in members) return members[name];
      // Not a promise itself: `await store` or returning it from an async function must give the object.
      if (name === 'then' || typeof name === 'symbol') return undefined;
      return (...args: unknown[]) =>
        target.then((object) => {
          const method = (object as Record<string, unknown>)[name];
          if (typeof method !== 'function') throw new TypeError(`the store has no method ${name}`);
          return (method as (...methodArgs: unknown[]) => unknown).apply(object, args);
        });
    },
  });
}
