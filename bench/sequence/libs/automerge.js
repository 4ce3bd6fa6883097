import * as Automerge from '@automerge/automerge';

// Automerge documents are immutable values; the adapter keeps the current one in a box.
// Sequential traces run inside ONE change (Automerge's fast path: a change per keystroke costs
// far more); concurrent traces use one change per transaction, as they must be exchanged.
let base = null;
function root() {
  if (base === null) {
    base = Automerge.change(Automerge.init({ actor: 'ff'.repeat(16) }), (d) => {
      d.t = '';
    });
  }
  return base;
}

export default {
  name: 'automerge',
  create: (agent = 0) => ({
    doc: Automerge.clone(root(), { actor: (agent + 1).toString(16).padStart(2, '0').repeat(16) }),
  }),
  runSequential: (box, txns) => {
    box.doc = Automerge.change(box.doc, (d) => {
      for (const txn of txns) {
        for (const [pos, del, ins] of txn.patches) {
          if (del > 0 || ins.length > 0) Automerge.splice(d, ['t'], pos, del, ins);
        }
      }
    });
  },
  runTxn: (box, patches) => {
    box.doc = Automerge.change(box.doc, (d) => {
      for (const [pos, del, ins] of patches) {
        if (del > 0 || ins.length > 0) Automerge.splice(d, ['t'], pos, del, ins);
      }
    });
  },
  text: (box) => box.doc.t,
  encode: (box) => Automerge.save(box.doc),
  decode: (bytes) => Automerge.load(bytes).t,
  // One change per transaction, so the transaction's update is that change.
  begin: () => null,
  end: (box) => Automerge.getLastLocalChange(box.doc),
  apply: (box, change) => {
    [box.doc] = Automerge.applyChanges(box.doc, [change]);
  },
};
