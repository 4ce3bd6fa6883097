import type { Server } from 'node:net';

/**
 * A port that cannot be bound, as one sentence a person can act on (`code` keeps the system's
 * reason: EADDRINUSE, EACCES, EADDRNOTAVAIL).
 */
export class ListenError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'ListenError';
    this.code = code;
  }
}

/** Binds `server` to host:port; resolves once it listens, rejects with a ListenError. */
export function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      const code = e.code ?? 'UNKNOWN';
      const where = `${host}:${port}`;
      const message =
        code === 'EADDRINUSE'
          ? `port ${port} is in use on ${host} (another fieldsync or another program listens there); choose another with --port`
          : code === 'EACCES'
            ? `no permission to listen on ${where} (ports below 1024 need privileges); choose another with --port`
            : code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND'
              ? `cannot listen on ${where}: ${host} is not an address of this machine`
              : `cannot listen on ${where}: ${e.message}`;
      reject(new ListenError(code, message));
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}
