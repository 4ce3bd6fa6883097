import * as Y from 'yjs';

export default {
  name: 'yjs',
  create: (agent = 0) => {
    const doc = new Y.Doc();
    doc.clientID = agent + 1;
    doc.t = doc.getText('t');
    return doc;
  },
  ins: (doc, pos, text) => doc.t.insert(pos, text),
  del: (doc, pos, len) => doc.t.delete(pos, len),
  text: (doc) => doc.t.toString(),
  encode: (doc) => Y.encodeStateAsUpdate(doc),
  decode: (bytes) => {
    const doc = new Y.Doc();
    Y.applyUpdate(doc, bytes);
    return doc.getText('t').toString();
  },
  begin: (doc) => Y.encodeStateVector(doc),
  end: (doc, sv) => Y.encodeStateAsUpdate(doc, sv),
  apply: (doc, update) => Y.applyUpdate(doc, update),
};
