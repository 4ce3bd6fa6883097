import { LoroDoc } from 'loro-crdt';

// The text handle is fetched once per document. Edits are not committed one by one (Loro then
// batches them into one change, its fastest mode); export and version calls commit.
export default {
  name: 'loro',
  create: (agent = 0) => {
    const doc = new LoroDoc();
    doc.setPeerId(BigInt(agent + 1));
    return { doc, text: doc.getText('t') };
  },
  ins: (d, pos, text) => d.text.insert(pos, text),
  del: (d, pos, len) => d.text.delete(pos, len),
  text: (d) => d.text.toString(),
  encode: (d) => d.doc.export({ mode: 'snapshot' }),
  decode: (bytes) => LoroDoc.fromSnapshot(bytes).getText('t').toString(),
  begin: (d) => {
    d.doc.commit();
    return d.doc.oplogVersion();
  },
  end: (d, vv) => {
    d.doc.commit();
    return d.doc.export({ mode: 'update', from: vv });
  },
  apply: (d, update) => d.doc.import(update),
};
