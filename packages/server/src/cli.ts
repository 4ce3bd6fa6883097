#!/usr/bin/env node
import { serveCommand } from './cli/serveCommand.js';
import { storeCommand } from './cli/storeCommands.js';
import { tokenCommand } from './cli/tokenCommand.js';
import { USAGE, UsageError, usageOf } from './cli/usage.js';

/**
 * The `fieldsync` command. Errors leave as one line on stderr: exit code 2 (plus usage) for
 * wrong arguments, 1 for everything else (busy port, unusable data directory, weak secret).
 */
async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  if (command === 'serve') return serveCommand(rest);
  if (command === 'token') return tokenCommand(rest);
  if (await storeCommand(command, rest)) return;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    console.log(USAGE);
    return;
  }
  throw new UsageError(`unknown command "${command}"`);
}

main().catch((e: unknown) => {
  if (e instanceof UsageError) {
    console.error(`fieldsync${e.command ? ` ${e.command}` : ''}: ${e.message}\n\n${usageOf(e.command)}`);
    process.exit(2);
  }
  console.error(`fieldsync: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
