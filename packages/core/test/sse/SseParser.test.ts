import { describe, expect, it } from 'vitest';
import { SseParser, type SseMessage } from '../../src/sse/SseParser.js';

const parseAll = (chunks: string[]): SseMessage[] => {
  const out: SseMessage[] = [];
  const p = new SseParser((m) => out.push(m));
  for (const c of chunks) p.push(c);
  return out;
};

describe('SseParser', () => {
  const stream =
    ': connected\n\nid: 7\nevent: sync\ndata: {"a":1}\n\nid: 9\nevent: sync\ndata: x\ndata: y\n\n: ping\n\n';
  const expected: SseMessage[] = [
    { event: 'sync', data: '{"a":1}', id: '7' },
    { event: 'sync', data: 'x\ny', id: '9' },
  ];

  it('parses events, ids, multi-line data and skips comments', () => {
    expect(parseAll([stream])).toEqual(expected);
  });

  it('gives the same result however the stream is split into chunks', () => {
    for (let size = 1; size < 12; size++) {
      const chunks: string[] = [];
      for (let i = 0; i < stream.length; i += size) chunks.push(stream.slice(i, i + size));
      expect(parseAll(chunks)).toEqual(expected);
    }
  });

  it('accepts CRLF and CR line endings, even a CRLF split across chunks', () => {
    expect(parseAll(['data: a\r', '\n\r\ndata: b\r\r'])).toEqual([
      { event: 'message', data: 'a', id: undefined },
      { event: 'message', data: 'b', id: undefined },
    ]);
  });

  it('does not dispatch an event that was not terminated by a blank line', () => {
    expect(parseAll(['id: 1\ndata: partial\n'])).toEqual([]);
  });

  it('reports comment lines (heartbeats) to onComment, however split', () => {
    const comments: string[] = [];
    const p = new SseParser(
      () => undefined,
      (c) => comments.push(c),
    );
    for (const ch of ': connected\n\n: ping\n\n:raw\n') p.push(ch);
    expect(comments).toEqual(['connected', 'ping', 'raw']);
  });
});
