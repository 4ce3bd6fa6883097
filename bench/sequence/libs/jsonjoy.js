import { Model, Patch } from 'json-joy/lib/json-crdt/index.js';

// Every replica starts from the same root string (created once), forked with its own session id.
let base = null;
function root() {
  if (base === null) {
    base = Model.create(undefined, 65536);
    base.api.set('');
    base.api.flush();
  }
  return base;
}

export default {
  name: 'json-joy',
  create: (agent = 0) => {
    const m = root().fork(100000 + agent);
    m.str = m.api.str([]);
    return m;
  },
  ins: (m, pos, text) => m.str.ins(pos, text),
  del: (m, pos, len) => m.str.del(pos, len),
  text: (m) => m.view(),
  encode: (m) => m.toBinary(),
  decode: (bytes) => Model.fromBinary(bytes).view(),
  begin: (m) => m.api.flush(),
  end: (m) => m.api.flush().toBinary(),
  apply: (m, update) => m.applyPatch(Patch.fromBinary(update)),
};
