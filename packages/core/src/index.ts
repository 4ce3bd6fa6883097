// Public API of @fieldsync/core. Everything client and server use is listed here explicitly.

// Clock
export type { Stamp, StampParts } from './clock/stamp.js';
export {
  compareStamps,
  formatStamp,
  isReplicaId,
  isStamp,
  parseStamp,
  stampReplica,
  stampWall,
  MAX_COUNTER,
  MAX_WALL,
} from './clock/stamp.js';
export type { HybridLogicalClockOptions } from './clock/hybridLogicalClock.js';
export { DEFAULT_MAX_DRIFT, HybridLogicalClock } from './clock/hybridLogicalClock.js';

// Errors and ids
export {
  ClockDriftError,
  ClockOverflowError,
  DecodeError,
  FieldsyncError,
  SchemaError,
  ValidationError,
} from './errors.js';
export { createDocId, isDocId } from './ids.js';

// Field CRDTs
export type { LwwEntry, LwwState, Superseded } from './crdt/lww.js';
export { lwwSuperseded, lwwWrite, MAX_SUPERSEDED, mergeLww } from './crdt/lww.js';
export type { ObjectState } from './crdt/object.js';
export { emptyObject, mergeObject } from './crdt/object.js';
export type { LogEntry, LogState } from './crdt/log.js';
export { logAppend, logEntries, logEntryId, mergeLog } from './crdt/log.js';
export type { SetState } from './crdt/orSet.js';
export { emptySet, mergeSet, setDelta, setTags, setValues } from './crdt/orSet.js';
export type { CounterState } from './crdt/pnCounter.js';
export { counterInc, counterValue, emptyCounter, mergeCounter } from './crdt/pnCounter.js';

// Sequence CRDT: collaborative Text and List (owned by sequence/)
export { compactTombstones, List, SequenceRangeError, Text } from './sequence/index.js';
export type { SequenceChangeOrigin, SequenceVersion } from './sequence/index.js';

// Documents
export type { FieldKind } from './document/fieldKind.js';
export type { FieldState } from './document/fields.js';
export {
  fieldFromJSON,
  fieldToJSON,
  kindOfDef,
  kindOfState,
  materializeField,
  mergeField,
} from './document/fields.js';
export type { DocState } from './document/docState.js';
export { emptyDoc, isDeleted } from './document/docState.js';
export type { Materialized } from './document/materialize.js';
export { materialize } from './document/materialize.js';
export { conflicts } from './document/conflicts.js';
export type { DocJSON } from './document/docJson.js';
export { docFromJSON, docToJSON } from './document/docJson.js';
export { encodeDoc } from './document/encodeDoc.js';
export { mergeDocs } from './document/mergeDocs.js';

// Changes
export type { Change, Intent } from './change/change.js';
export { DELETED_KEY } from './change/change.js';
export type { CreateChangeInput } from './change/createChange.js';
export { createChange, createInsertChange } from './change/createChange.js';
export { applyChange } from './change/applyChange.js';
export type { AppliedChange } from './change/createAndApply.js';
export { createAndApply, createAndApplyInsert } from './change/createAndApply.js';
export { validateChange } from './change/validateChange.js';
export { ChangeLog } from './change/changeLog.js';

// Schema
export type { FieldDef, FieldType, MergePolicy, TypeDef } from './schema/typeDef.js';
export { allowedPolicies, defaultPolicy, FIELD_TYPES, policyOf, SCALAR_TYPES } from './schema/typeDef.js';
export { MAX_TYPE_NESTING, isFieldName, validateFieldDef, validateType } from './schema/validateType.js';
export { validateValue } from './schema/validateValue.js';
export { emptyValue, fillEmpty, readDefault } from './schema/emptyValue.js';
export { validateDocument } from './schema/validateDocument.js';
export type { FailRule, MigrationStep, ValueMap } from './schema/typeDef.js';
export { convertValue, hiddenKey, isHiddenKey } from './schema/migrationSteps.js';
export { applySteps, migrateType, validateMigration, validateTypeHistory } from './schema/migration.js';
export {
  copyDoc,
  translateChangeOps,
  translateDocState,
  upgradeChangeOps,
  upgradeDocState,
} from './schema/upgrade.js';
export { TypeRegistry } from './schema/typeRegistry.js';
export { typeHash } from './schema/typeHash.js';
export { fieldsJson, typeJson } from './schema/typeJson.js';
export { fieldValueInOrder, inFieldOrder } from './document/fieldOrder.js';

// Utilities shared with client and server
export type { Json } from './util/json.js';
export { canonicalJson, isJson, isRecord } from './util/json.js';
export { fromBase64, toBase64 } from './util/base64.js';

// The wire format of the server's realtime stream, read by the client and by tests of the server
export { SseParser, type SseMessage } from './sse/SseParser.js';
// Wire protocol /v1: the message types client and server share, and their runtime checks
export { ProtocolError } from './protocol/ProtocolError.js';
export type { ErrorBody, ErrorInfo } from './protocol/errorBody.js';
export { parseErrorBody, parseErrorInfo } from './protocol/errorBody.js';
export type { ChangeResult, PushRequest, PushResponse } from './protocol/push.js';
export { parsePushRequest, parsePushResponse } from './protocol/push.js';
export type { MergeRequest, MergeResponse, MergeResult } from './protocol/merge.js';
export { parseMergeRequest, parseMergeResponse } from './protocol/merge.js';
export type { Delta } from './protocol/delta.js';
export { checkWireDoc, checkWireType, parseDelta } from './protocol/delta.js';
export type { DocsResponse } from './protocol/docs.js';
export { MAX_DOCS_IDS, parseDocsResponse } from './protocol/docs.js';
export type { DefineTypeRequest, DefineTypeResponse } from './protocol/defineType.js';
export { parseDefineTypeRequest, parseDefineTypeResponse } from './protocol/defineType.js';
export type { ReadyEvent, SseEvent } from './protocol/events.js';
export { parseReadyEvent, parseSseEvent } from './protocol/events.js';
export type { StoreHeaders } from './protocol/storeHeaders.js';
export {
  EPOCH_HEADER,
  HEAD_HEADER,
  STORE_HEADERS,
  TIME_HEADER,
  parseStoreHeaders,
} from './protocol/storeHeaders.js';
export { wireJson } from './protocol/wireCheck.js';
