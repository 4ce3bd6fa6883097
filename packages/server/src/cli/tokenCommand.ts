import { parseArgs } from 'node:util';
import { signToken } from '../auth/jwt.js';
import { devSecretWarning, jwtSecretFromEnv } from './jwtSecret.js';
import { parseClaims } from './parseClaims.js';
import { parseCommandArgs } from './parseCommandArgs.js';
import { TOKEN_USAGE, UsageError } from './usage.js';

/** `fieldsync token`: prints a signed token (stdout holds the token only, for `$(…)`). */
export async function tokenCommand(argv: string[]): Promise<void> {
  const { values } = parseCommandArgs('token', () =>
    parseArgs({
      args: argv,
      options: {
        help: { type: 'boolean', short: 'h' },
        user: { type: 'string' },
        tenant: { type: 'string' },
        claim: { type: 'string', multiple: true },
        expires: { type: 'string', default: '30d' },
      },
    }),
  );
  if (values.help) {
    console.log(TOKEN_USAGE);
    return;
  }
  if (!values.user || !values.tenant) throw new UsageError('token needs --user and --tenant', 'token');
  const claims = parseClaims(values.claim ?? []);
  const { secret, isDev } = jwtSecretFromEnv();
  if (isDev) console.warn(devSecretWarning('token'));
  let token: string;
  try {
    token = await signToken(secret, {
      user: values.user,
      tenant: values.tenant,
      claims,
      expiresIn: values.expires,
    });
  } catch (e) {
    if (e instanceof TypeError)
      throw new UsageError(
        `--expires must be a duration such as 12h or 30d, got "${values.expires}"`,
        'token',
      );
    throw e;
  }
  console.log(token);
}
