import { Counter, type Registry } from 'prom-client';

/**
 * Tokens in and out per account, as `anychat_account_tokens_total{account, direction}`. Labels stay
 * bounded: the first MAX_LABELLED_ACCOUNTS accounts seen get their own label, the rest are summed
 * under `account="other"` (the admin endpoint has every account's exact figures from the database).
 */
export const MAX_LABELLED_ACCOUNTS = 100;
export const OTHER_ACCOUNTS_LABEL = 'other';

export class AccountUsageMetrics {
  private readonly tokens: Counter<'account' | 'direction'>;
  private readonly labelled = new Set<string>();

  constructor(registry: Registry) {
    this.tokens = new Counter({
      name: 'anychat_account_tokens_total',
      help: 'Tokens per account (--auth accounts): direction="prompt" read, "generated" written; accounts past the first 100 seen are summed as "other"',
      labelNames: ['account', 'direction'],
      registers: [registry],
    });
  }

  add(username: string, usage: { promptTokens: number; generatedTokens: number }): void {
    if (!this.labelled.has(username) && this.labelled.size < MAX_LABELLED_ACCOUNTS) this.labelled.add(username);
    const account = this.labelled.has(username) ? username : OTHER_ACCOUNTS_LABEL;
    this.tokens.inc({ account, direction: 'prompt' }, usage.promptTokens);
    this.tokens.inc({ account, direction: 'generated' }, usage.generatedTokens);
  }
}
