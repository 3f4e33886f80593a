import { Option, type Command } from 'commander';
import { runAction } from './run-action.ts';

export interface UsersOptions {
  dataDir?: string;
}

const dataDirOption = () =>
  new Option('--data-dir <dir>', 'the data folder serve uses (PGlite); DATABASE_URL selects PostgreSQL instead').env('ANYCHAT_DATA_DIR');

/** `anychat users …`: the accounts of `serve --auth accounts`, in the same database as serve's. */
export function registerUsersCommand(program: Command): void {
  const users = program.command('users').description('manage the accounts of serve --auth accounts (same --data-dir / DATABASE_URL as serve)');
  // Loaded when a users command runs, so `anychat --help` never opens the database code.
  const action = (name: keyof typeof import('./users.ts').usersActions) =>
    runAction(async (...args: unknown[]) => {
      const { usersActions } = await import('./users.ts');
      await (usersActions[name] as (...args: unknown[]) => Promise<void>)(...args);
    });

  users
    .command('add <name>')
    .description('add an account; the password is read from stdin when it is not a terminal, else asked for (hidden)')
    .option('--admin', 'the account may list users and their usage; the first admin gets conversations from before accounts')
    .addOption(dataDirOption())
    .action(action('add'));
  users.command('list').description('list the accounts, with their usage').addOption(dataDirOption()).action(action('list'));
  users.command('remove <name>').description('remove an account, its sessions, tokens and conversations').addOption(dataDirOption()).action(action('remove'));
  users
    .command('passwd <name>')
    .description('set a new password (stdin or a hidden prompt, as for add); signs the account out everywhere')
    .addOption(dataDirOption())
    .action(action('passwd'));
  users
    .command('token <name>')
    .description('make a personal API token (Authorization: Bearer TOKEN) and print it on one line of stdout')
    .option('--label <text>', 'what the token is for, to revoke it by', 'token')
    .addOption(dataDirOption())
    .action(action('token'));
  users.command('tokens <name>').description("list an account's tokens (id, label, dates; never the token itself)").addOption(dataDirOption()).action(action('tokens'));
  users
    .command('revoke-token <name> <idOrLabel>')
    .description('revoke a personal token by its id or label (see users tokens)')
    .addOption(dataDirOption())
    .action(action('revokeToken'));
}
