/**
 * Typed errors. Every public function of core validates before it mutates, so catching one of
 * these means the state you passed in is unchanged. `code` is stable and meant for programs;
 * `message` is for people.
 */
export class FieldsyncError extends Error {
  /** Stable machine-readable code, e.g. `validation`, `clock_drift`. */
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'FieldsyncError';
    this.code = code;
  }
}

/**
 * Input (a value, an intent, a change, a stored document) broke a rule. `path` names the field
 * (`address.city`, or `change.stamp` for envelope problems) and `rule` names what was broken
 * (`type`, `required`, `unknown-field`, `enum`, ...), so a UI can point at the exact input.
 */
export class ValidationError extends FieldsyncError {
  readonly path: string;
  readonly rule: string;
  constructor(path: string, rule: string, message: string) {
    super('validation', `${path || '(root)'}: ${rule}: ${message}`);
    this.name = 'ValidationError';
    this.path = path;
    this.rule = rule;
  }
}

/**
 * A remote stamp is further ahead of our wall clock than `maxDrift`. We reject instead of
 * clamping: a device whose clock says "year 3000" must not win every last-write-wins conflict.
 */
export class ClockDriftError extends FieldsyncError {
  readonly remote: string;
  readonly driftMs: number;
  constructor(remote: string, driftMs: number, maxDrift: number) {
    super('clock_drift', `stamp ${remote} is ${driftMs} ms ahead of local time (max ${maxDrift} ms)`);
    this.name = 'ClockDriftError';
    this.remote = remote;
    this.driftMs = driftMs;
  }
}

/** The clock cannot produce another stamp (counter exhausted and wall time far in the future). */
export class ClockOverflowError extends FieldsyncError {
  constructor(message: string) {
    super('clock_overflow', message);
    this.name = 'ClockOverflowError';
  }
}

/** Bytes or JSON that should encode a state or an update could not be decoded. */
export class DecodeError extends FieldsyncError {
  constructor(message: string) {
    super('decode', message);
    this.name = 'DecodeError';
  }
}

/** A type definition or migration definition is invalid. `path` points into the definition. */
export class SchemaError extends FieldsyncError {
  readonly path: string;
  readonly rule: string;
  constructor(path: string, rule: string, message: string) {
    super('schema', `${path || '(type)'}: ${rule}: ${message}`);
    this.name = 'SchemaError';
    this.path = path;
    this.rule = rule;
  }
}
