export type ThemeChoice = 'system' | 'light' | 'dark';

const storageKey = 'anychat.theme';

function readChoice(): ThemeChoice {
  const stored = localStorage.getItem(storageKey);
  return stored === 'light' || stored === 'dark' ? stored : 'system';
}

/**
 * Light, dark or follow the system. The CSS keys off `data-theme` on <html>; with no attribute it
 * follows `prefers-color-scheme`, so the first paint is right without an inline script (the CSP
 * forbids those).
 */
class ThemeStore {
  choice = $state<ThemeChoice>(readChoice());

  constructor() {
    this.#apply();
  }

  set(choice: ThemeChoice): void {
    this.choice = choice;
    if (choice === 'system') localStorage.removeItem(storageKey);
    else localStorage.setItem(storageKey, choice);
    this.#apply();
  }

  #apply(): void {
    if (this.choice === 'system') delete document.documentElement.dataset['theme'];
    else document.documentElement.dataset['theme'] = this.choice;
  }
}

export const theme = new ThemeStore();
