import { describe, expect, it } from 'vitest';
import { Text } from '../../src/sequence/index.js';

// Reported by the core engineer (see packages/core/src/document/kinds/sequenceKind.test.ts): a snapshot
// of a replica that holds an update still waiting for its dependencies must carry that waiting update,
// so the copy can apply it once the dependency arrives.
describe('snapshots of replicas with waiting updates', () => {
  it('encode → decode keeps an insert that waits for text it depends on', () => {
    const anna = new Text('anna');
    anna.insert(0, 'pump');
    const annaUpdate = anna.encodeSince({});

    const ben = Text.decode(anna.encode(), 'ben');
    const before = ben.version;
    ben.delete(0, ben.length);
    ben.insert(0, 'valve');
    const benUpdate = ben.encodeSince(before);

    const carl = new Text('carl');
    carl.applyUpdate(benUpdate); // waits for Anna's insert
    const copy = Text.decode(carl.encode(), 'dora');
    carl.applyUpdate(annaUpdate);
    copy.applyUpdate(annaUpdate);
    expect(carl.toString()).toBe('valve');
    expect(copy.toString()).toBe('valve');
  });
});
