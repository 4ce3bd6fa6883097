// Child process: holds N SSE connections open and counts events, so the measuring process does
// not also pay for parsing N streams. Prints "ready" once every stream sent its `ready` event.
import { SseParser } from '../../packages/client/dist/sync/SseParser.js';

const [url, token, nRaw] = process.argv.slice(2);
const n = Number(nRaw);
let ready = 0;
let events = 0;
const ctrl = new AbortController();
for (let i = 0; i < n; i++) {
  void (async () => {
    const res = await fetch(`${url}/v1/events`, { headers: { authorization: `Bearer ${token}` }, signal: ctrl.signal });
    const parser = new SseParser((m) => {
      if (m.event === 'ready' && ++ready === n) process.stdout.write('ready\n');
      if (m.event === 'sync') events++;
    });
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      parser.push(value);
    }
  })().catch(() => undefined);
}
process.on('message', () => undefined);
process.stdin.on('data', () => {
  process.stdout.write(`events ${events}\n`);
  ctrl.abort();
  setTimeout(() => process.exit(0), 50);
});
