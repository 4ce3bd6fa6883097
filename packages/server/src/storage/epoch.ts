import { randomBytes } from 'node:crypto';

/**
 * A new store identity: 128 random bits, base64url (22 characters). Random rather than derived
 * from anything in the store, because its one job is to differ from every other store — a backup
 * copy, a restored file, a reset database — so a device notices it is talking to another history.
 */
export const newEpoch = (): string => randomBytes(16).toString('base64url');
