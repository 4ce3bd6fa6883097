/** Wrong command-line input: printed as one line followed by the command's usage, exit code 2. */
export class UsageError extends Error {
  readonly command: 'serve' | 'token' | undefined;
  constructor(message: string, command?: 'serve' | 'token') {
    super(message);
    this.name = 'UsageError';
    this.command = command;
  }
}

export const SERVE_USAGE = `usage: fieldsync serve [options]

  --port N              port to listen on (default 8787; 0 picks a free one)
  --host ADDR           address to listen on (default 127.0.0.1). A non-loopback address
                        needs FIELDSYNC_JWT_SECRET: the public development secret is refused
  --data DIR            SQLite data directory (default ./data)
  --postgres URL        use PostgreSQL instead of SQLite
  --schema NAME         PostgreSQL schema (default fieldsync)
  --types FILE          JSON array of type definitions known to every tenant
  --config FILE         ES module whose default export is { permissions?, types? }
  --sqlite-sync MODE    full (default): every commit is fsynced, an acknowledged push survives
                        power loss; normal: survives process crashes only, faster
  --heartbeat MS        SSE heartbeat interval (default 15000)
  --rate-per-second N   per-token request rate (burst 4x)
  --app DIR             serve a built single-page app (e.g. apps/workorders/build) at / on the same port
  --demo                seed tenant "demo" and open the demo sign-in (/v1/demo/*); refused unless the
                        public development secret (FIELDSYNC_JWT_SECRET unset) on a loopback --host
  --history-horizon D   compact change ids and tombstones older than D (default 30d; "forever"
                        keeps them); a device away longer resyncs in full (410 history_gone)
  -h, --help            this help`;

export const TOKEN_USAGE = `usage: fieldsync token --user ID --tenant ID [options]

  --user ID             user id (the token's "sub")
  --tenant ID           tenant id
  --claim KEY=VALUE     a string claim, e.g. role=admin (repeatable)
  --claim KEY[]=A,B     a list claim, always an array, e.g. teams[]=blue → ["blue"]
  --expires DURATION    lifetime, e.g. 12h, 30d (default 30d); tokens always expire
  -h, --help            this help`;

export const USAGE = `fieldsync — local-first sync server

usage: fieldsync serve [options]     run the sync server (fieldsync serve --help)
       fieldsync token [options]     print a signed token for a user (fieldsync token --help)
       fieldsync backup DIR [--data ./data]
                                     consistent copy of the SQLite store while it serves (new epoch)
       fieldsync restore DIR [--data ./data] [--force]
                                     replace the stopped SQLite store by a backup (new epoch)
       fieldsync reset-epoch [--data ./data | --postgres URL [--schema NAME]]
                                     give the store a new epoch (after pg_restore)
       fieldsync compact [--data ./data | --postgres URL [--schema NAME]] [--history-horizon 30d]
                                     one history compaction pass now (docs/protocol.md)

Environment: FIELDSYNC_JWT_SECRET, the HS256 secret for tokens, at least 32 bytes
(openssl rand -base64 48). Unset: a public development secret, accepted on loopback only.`;

export const usageOf = (command: UsageError['command']): string =>
  command === 'serve' ? SERVE_USAGE : command === 'token' ? TOKEN_USAGE : USAGE;
