import { UsageError } from './usage.js';

/** Claims `fieldsync token` sets itself; a --claim cannot override them. */
const RESERVED = new Set(['sub', 'tenant', 'exp', 'iat', 'nbf', 'iss', 'aud', 'jti']);

/**
 * Parses `--claim` arguments. `key=value` is always one string (`role=admin`); `key[]=a,b` is
 * always an array (`teams[]=blue` → `["blue"]`), and repeating it appends. A claim's JSON type
 * must not depend on how many values it has: a rule like `user.claims.teams.includes(doc.team)`
 * on the string "blue" would match the teams "lu" and "" (substring search).
 */
export function parseClaims(args: readonly string[]): Record<string, string | string[]> {
  const claims: Record<string, string | string[]> = {};
  for (const arg of args) {
    const eq = arg.indexOf('=');
    const rawKey = eq < 0 ? arg : arg.slice(0, eq);
    const isList = rawKey.endsWith('[]');
    const key = isList ? rawKey.slice(0, -2) : rawKey;
    if (eq < 0 || key === '')
      throw new UsageError(`--claim must be KEY=VALUE or KEY[]=A,B, got "${arg}"`, 'token');
    if (RESERVED.has(key))
      throw new UsageError(`--claim ${key}: "${key}" is set by --user, --tenant or --expires`, 'token');
    const value = arg.slice(eq + 1);
    const previous = claims[key];
    if (isList) {
      if (typeof previous === 'string')
        throw new UsageError(
          `--claim ${key}: given both as a string (${key}=) and as a list (${key}[]=)`,
          'token',
        );
      claims[key] = [...(previous ?? []), ...(value === '' ? [] : value.split(','))];
    } else {
      if (previous !== undefined)
        throw new UsageError(`--claim ${key}: given twice; a list claim is written ${key}[]=A,B`, 'token');
      if (value.includes(','))
        throw new UsageError(
          `--claim ${arg}: a plain KEY=VALUE claim is one string; write a list as ${key}[]=${value}`,
          'token',
        );
      claims[key] = value;
    }
  }
  return claims;
}
