// POST with node:http and a keep-alive Agent, for the load generators of the sync benchmark.
// Why not fetch: undici's fetch builds a web Request, Headers, an AbortSignal and a body stream per
// call, and cost this process ~600 µs of CPU per one-change push (3.7 s for 6,000 pushes) — more
// than the server under test, with which it shares the machine's 2 cores. The HTTP work is the
// same: one POST with the same headers and body over a reused keep-alive connection per worker.
import http from 'node:http';

/** One keep-alive Agent per generator; `sockets` ≥ its concurrency so no request queues locally. */
export function keepAliveAgent(sockets) {
  return new http.Agent({ keepAlive: true, maxSockets: sockets });
}

/** POSTs `body` (a JSON string) and resolves `{ status, text }` once the whole answer is read. */
export function postJson(agent, url, token, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        res.setEncoding('utf8');
        let text = '';
        res.on('data', (s) => (text += s));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
