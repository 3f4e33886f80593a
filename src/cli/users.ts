import { createInterface } from 'node:readline/promises';
import { Writable } from 'node:stream';
import { passwordSchema, usernameSchema } from '../accounts/account.ts';
import { AccountStoreError, type AccountStore } from '../storage/account-store.ts';
import { openConversationStore } from '../storage/open-conversation-store.ts';
import { CommandFailure } from './command-failure.ts';
import { UsageError } from './usage-error.ts';
import type { UsersOptions } from './users-command.ts';

/** Opens serve's database, runs `work` on its accounts, closes it; store errors become one-line failures. */
async function withAccounts<T>(options: UsersOptions, work: (accounts: AccountStore) => Promise<T>): Promise<T> {
  const store = await openConversationStore({ ...(options.dataDir ? { dataDir: options.dataDir } : {}) });
  try {
    if (!store.accounts) throw new CommandFailure('this database keeps no accounts');
    return await work(store.accounts);
  } catch (error) {
    if (error instanceof AccountStoreError) throw new CommandFailure(error.message);
    throw error;
  } finally {
    await store.close();
  }
}

function checkedUsername(name: string): string {
  const parsed = usernameSchema.safeParse(name);
  if (!parsed.success) throw new UsageError(`${parsed.error.issues[0]?.message ?? 'bad user name'}: "${name}"`);
  return parsed.data;
}

/**
 * The password: all of stdin (less one final newline) when stdin is not a terminal, so scripts
 * can pipe it without it showing in `ps`; otherwise asked twice at a prompt that echoes nothing.
 */
async function readPassword(name: string): Promise<string> {
  const password = process.stdin.isTTY ? await promptTwice(name) : (await readAll(process.stdin)).replace(/\r?\n$/, '');
  const parsed = passwordSchema.safeParse(password);
  if (!parsed.success) throw new UsageError(parsed.error.issues[0]?.message ?? 'bad password');
  return parsed.data;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8');
}

async function promptTwice(name: string): Promise<string> {
  const first = await hiddenPrompt(`Password for ${name}: `);
  const second = await hiddenPrompt('Again: ');
  if (first !== second) throw new UsageError('the two passwords differ; run the command again');
  return first;
}

async function hiddenPrompt(question: string): Promise<string> {
  process.stderr.write(question);
  // Readline writes what is typed to its output; a sink that drops it keeps the password off screen.
  const silent = new Writable({ write: (_chunk, _encoding, callback) => callback() });
  const prompt = createInterface({ input: process.stdin, output: silent, terminal: true });
  try {
    return await prompt.question('');
  } finally {
    prompt.close();
    process.stderr.write('\n');
  }
}

export const usersActions = {
  async add(name: string, options: UsersOptions & { admin?: boolean }) {
    const username = checkedUsername(name);
    const password = await readPassword(username);
    const account = await withAccounts(options, (accounts) => accounts.createAccount({ username, password, isAdmin: options.admin ?? false }));
    process.stderr.write(`anychat: added ${account.username}${account.isAdmin ? ' (admin)' : ''}\n`);
  },

  async list(options: UsersOptions) {
    const listed = await withAccounts(options, (accounts) => accounts.listAccounts());
    if (listed.length === 0) {
      process.stderr.write('anychat: no accounts yet; add one with: anychat users add NAME --admin\n');
      return;
    }
    const rows = [
      ['NAME', 'ADMIN', 'SIGN-IN', 'CONVERSATIONS', 'REQUESTS', 'TOKENS IN', 'TOKENS OUT', 'CREATED'],
      ...listed.map((account) => [
        account.username,
        account.isAdmin ? 'yes' : 'no',
        account.oidcIssuer ? 'openid' : 'password',
        String(account.conversationCount),
        String(account.usage.requests),
        String(account.usage.promptTokens),
        String(account.usage.generatedTokens),
        account.createdAt.slice(0, 10),
      ]),
    ];
    process.stdout.write(formatTable(rows));
  },

  async remove(name: string, options: UsersOptions) {
    const removed = await withAccounts(options, (accounts) => accounts.removeAccount(name));
    if (!removed) throw new CommandFailure(`no user named ${name}; see anychat users list`);
    process.stderr.write(`anychat: removed ${name} with its sessions, tokens and conversations\n`);
  },

  async passwd(name: string, options: UsersOptions) {
    const exists = await withAccounts(options, (accounts) => accounts.findAccount(name));
    if (!exists) throw new CommandFailure(`no user named ${name}; see anychat users list`);
    const password = await readPassword(exists.username);
    await withAccounts(options, (accounts) => accounts.setPassword(name, password));
    process.stderr.write(`anychat: new password set for ${exists.username}; every session of it has ended\n`);
  },

  async token(name: string, options: UsersOptions & { label: string }) {
    const { token, summary } = await withAccounts(options, (accounts) => accounts.createToken(name, options.label, Date.now()));
    // The token alone on stdout, so `TOKEN=$(anychat users token alice)` works; it is never shown again.
    process.stdout.write(`${token}\n`);
    process.stderr.write(`anychat: token ${summary.id} ("${summary.label}") for ${name}; keep it now, it is not stored\n`);
  },

  async tokens(name: string, options: UsersOptions) {
    const listed = await withAccounts(options, (accounts) => accounts.listTokens(name));
    process.stdout.write(formatTable([['ID', 'LABEL', 'CREATED', 'LAST USED'], ...listed.map((token) => [token.id, token.label, token.createdAt, token.lastUsedAt ?? '-'])]));
  },

  async revokeToken(name: string, idOrLabel: string, options: UsersOptions) {
    const revoked = await withAccounts(options, (accounts) => accounts.revokeToken(name, idOrLabel));
    process.stderr.write(`anychat: revoked ${revoked} token(s) of ${name}\n`);
  },
};

function formatTable(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()).join('\n') + '\n';
}
