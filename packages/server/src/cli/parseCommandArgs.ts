import { UsageError } from './usage.js';

/**
 * Runs a strict `util.parseArgs` call and turns its errors (unknown option, missing value,
 * stray argument) into one-line UsageErrors for `command` (undefined: the general usage).
 */
export function parseCommandArgs<T>(command: UsageError['command'], parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const arg = /'([^']*)'/.exec((e as Error).message)?.[1] ?? '';
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION')
      throw new UsageError(`unknown option ${arg}`.trim(), command);
    if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL')
      throw new UsageError(`unexpected argument ${arg}`.trim(), command);
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE')
      throw new UsageError((e as Error).message.split('\n')[0] ?? 'invalid option value', command);
    throw e;
  }
}
