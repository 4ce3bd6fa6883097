import { Text } from '@fieldsync/core';

export default {
  name: 'fieldsync',
  create: (agent = 0) => new Text(`agent${agent}`),
  ins: (doc, pos, text) => doc.insert(pos, text),
  del: (doc, pos, len) => doc.delete(pos, len),
  text: (doc) => doc.toString(),
  encode: (doc) => doc.encode(),
  decode: (bytes) => Text.decode(bytes).toString(),
  begin: (doc) => doc.version,
  end: (doc, version) => doc.encodeSince(version),
  apply: (doc, update) => doc.applyUpdate(update),
};
