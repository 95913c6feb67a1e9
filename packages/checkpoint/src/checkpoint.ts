import { decodeFloat32, encodeFloat32, SonaError } from '@sona/core';
import { type CheckpointIssue, issue, issuesToError, MAX_DEPTH } from './issues';
import { checkJsonText } from './json-text';
import { appendPath } from './path';
import { decodePlainData, encodePlainData, type JsonValue } from './plain-data';
import { type KeyInput, publicKeyOf, signatureIssues, signStateHash } from './signature';
import {
  CHECKPOINT_FIELDS,
  CHECKPOINT_FORMAT_VERSION,
  type Checkpoint,
  type CheckpointRecord,
  type LoraAdapterFile,
  type LoraAdapterRecord,
} from './types';
import { headOrderOf, validateCheckpointValue } from './validate';

export interface VerifyOptions {
  /**
   * The signer's Ed25519 public key. When given, the checkpoint must carry a signature made with
   * it (`CHECKPOINT_UNSIGNED`, `CHECKPOINT_FOREIGN_SIGNATURE` and `CHECKPOINT_BAD_SIGNATURE`
   * otherwise).
   */
  readonly publicKey?: KeyInput;
}

export type TrustLevel = 'signed' | 'integrity-only' | 'invalid';
export type SignatureStatus = 'verified' | 'invalid' | 'absent' | 'not-checked';

export interface VerifyResult {
  /** Every check passed (including the signature, when a public key was given). */
  readonly ok: boolean;
  /** The signature was verified with the given public key: the content is proven to come from it. */
  readonly signed: boolean;
  /** `signed`; `integrity-only` (hash verified, authorship not proven); or `invalid`. */
  readonly level: TrustLevel;
  /** `not-checked`: the file has a signature but no public key was given to check it. */
  readonly signature: SignatureStatus;
  /** The key id the file's signature names, if it has one. */
  readonly keyId: string | null;
  /** The verified stateHash, or null when the content does not match it. */
  readonly stateHash: string | null;
  readonly errors: readonly CheckpointIssue[];
}

export interface VerifiedDocument {
  readonly result: VerifyResult;
  /**
   * The checkpoint when `result.ok`: exactly what was checked, deeply frozen (for an object in
   * memory, a copy of it that shares nothing with it).
   */
  readonly checkpoint: Checkpoint | null;
}

const PLACEHOLDER_HASH = '0'.repeat(64);

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
    Object.freeze(value);
  }
  return value;
}

/**
 * Checkpoints this library validated and then deeply froze (every object in them is its own
 * copy, holding only strings, numbers, booleans and null). They cannot have changed since, so
 * saving, signing, comparing or restoring them need not check them again.
 */
const validated = new WeakSet<object>();

function sealValidated(checkpoint: Checkpoint): Checkpoint {
  deepFreeze(checkpoint);
  validated.add(checkpoint);
  return checkpoint;
}

/** True for checkpoints made by `createCheckpoint`, `parseCheckpoint`, `loadCheckpoint`, `signCheckpoint`. */
export function isValidatedCheckpoint(value: unknown): value is Checkpoint {
  return typeof value === 'object' && value !== null && validated.has(value);
}

/** Most values (array slots included) one copy visits; past it the input is refused. */
const MAX_COPIED_VALUES = 10_000_000;

/**
 * A deep copy of JSON-like input that reads every property exactly once (so a getter or Proxy
 * cannot show validation one value and serialisation another); -0 becomes 0, as it would after
 * a save and load. What is not JSON data (class instances, typed arrays, functions, symbol
 * keys, `__proto__` keys, holes, nesting past `MAX_DEPTH`) is carried over as it is, for
 * validation to report with its path; nothing is called but property reads.
 */
function copyData(root: unknown): unknown {
  let budget = MAX_COPIED_VALUES;
  const copy = (value: unknown, depth: number): unknown => {
    if (--budget < 0) {
      throw new SonaError('CHECKPOINT_SCHEMA', `more than ${MAX_COPIED_VALUES} JSON values`);
    }
    if (typeof value === 'number') return Object.is(value, -0) ? 0 : value;
    if (value === null || typeof value !== 'object' || depth >= MAX_DEPTH) return value;
    if (Array.isArray(value)) {
      const length = value.length;
      const out: unknown[] = new Array(length);
      for (let i = 0; i < length; i++) {
        if (--budget < 0) {
          throw new SonaError('CHECKPOINT_SCHEMA', `more than ${MAX_COPIED_VALUES} JSON values`);
        }
        if (i in value) out[i] = copy(value[i], depth + 1);
      }
      return out;
    }
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return value;
    const out: Record<PropertyKey, unknown> = {};
    for (const key of [...Object.keys(value), ...Object.getOwnPropertySymbols(value)]) {
      const item = copy((value as Record<PropertyKey, unknown>)[key], depth + 1);
      // defineProperty keeps a "__proto__" key a key (for validation to refuse), never a prototype.
      Object.defineProperty(out, key, {
        value: item,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  };
  return copy(root, 0);
}

function tensorText(value: unknown, path: string): string {
  if (!(value instanceof Float32Array)) {
    throw new SonaError('INVALID_ARGUMENT', `${path} must be a Float32Array`, { path });
  }
  return encodeFloat32(value);
}

function adapterJson(adapter: LoraAdapterRecord, path: string): LoraAdapterFile {
  if (adapter === null || typeof adapter !== 'object') {
    throw new SonaError('INVALID_ARGUMENT', `${path} must be a LoRA adapter`, { path });
  }
  const { A, B, ...scalars } = adapter;
  return {
    ...(copyData(scalars) as Omit<LoraAdapterFile, 'A' | 'B'>),
    A: tensorText(A, appendPath(path, 'A')),
    B: tensorText(B, appendPath(path, 'B')),
  };
}

function requireObject(value: unknown, path: string): void {
  if (value === null || typeof value !== 'object') {
    throw new SonaError('INVALID_ARGUMENT', `${path || 'state'} must be an object`, { path });
  }
}

/**
 * Builds a checkpoint from an engine's state: tensors encoded bit-exactly, every check a loaded
 * file gets, and `stateHash` computed. Throws `INVALID_ARGUMENT` when a tensor is not a
 * Float32Array or the engine state is not plain data, `NON_FINITE` for a non-finite number in
 * the engine state, and otherwise the `CHECKPOINT_*` code a file with the same problem would get.
 * The result is deeply frozen, shares nothing with `state`, and contains no time stamp: the same
 * state always gives the same hash.
 */
export function createCheckpoint(state: CheckpointRecord): Checkpoint {
  requireObject(state, '');
  const multi = state.multiHeadLoRA;
  if (multi !== null) {
    requireObject(multi, 'multiHeadLoRA');
    requireObject(multi.heads, 'multiHeadLoRA.heads');
    if (!Array.isArray(multi.headOrder)) {
      throw new SonaError('INVALID_ARGUMENT', 'multiHeadLoRA.headOrder must list the heads', {
        path: 'multiHeadLoRA.headOrder',
      });
    }
  }
  const ewc = state.ewcState;
  if (ewc !== null) requireObject(ewc, 'ewcState');
  requireObject(state.patternCentroids, 'patternCentroids');
  const { data: centroids, ...centroidShape } = state.patternCentroids;
  const content = {
    version: CHECKPOINT_FORMAT_VERSION,
    model: copyData(state.model),
    config: copyData(state.config),
    loraWeights: state.loraWeights === null ? null : adapterJson(state.loraWeights, 'loraWeights'),
    multiHeadLoRA:
      multi === null
        ? null
        : {
            shared: adapterJson(multi.shared, 'multiHeadLoRA.shared'),
            heads: Object.fromEntries(
              Object.keys(multi.heads).map((type) => [
                type,
                adapterJson(multi.heads[type]!, appendPath('multiHeadLoRA.heads', type)),
              ]),
            ),
            headOrder: copyData([...multi.headOrder]) as string[],
          },
    trajectoryStats: copyData(state.trajectoryStats),
    ewcState:
      ewc === null
        ? null
        : {
            lambda: copyData(ewc.lambda),
            fisher: tensorText(ewc.fisher, 'ewcState.fisher'),
            anchor: tensorText(ewc.anchor, 'ewcState.anchor'),
          },
    patternCentroids: {
      ...(copyData(centroidShape) as object),
      data: tensorText(centroids, 'patternCentroids.data'),
    },
    patternQualities: tensorText(state.patternQualities, 'patternQualities'),
    improvementHistory: copyData(state.improvementHistory),
    engine:
      state.engine === undefined || state.engine === null ? null : encodePlainData(state.engine),
  };
  const { issues, computedHash } = validateCheckpointValue({
    ...content,
    stateHash: PLACEHOLDER_HASH,
  });
  const problems = issues.filter((found) => found.code !== 'CHECKPOINT_HASH_MISMATCH');
  if (problems.length > 0 || computedHash === null) throw issuesToError(problems);
  return sealValidated({ ...content, stateHash: computedHash } as Checkpoint);
}

/**
 * Checks a checkpoint document already in memory (for example one received as an object):
 * never throws for a bad document, only for a bad `publicKey` argument. Every property of
 * `doc` is read once, into the copy that is checked and returned.
 */
export function verifyCheckpointValue(doc: unknown, options: VerifyOptions = {}): VerifiedDocument {
  const publicKey = options.publicKey === undefined ? undefined : publicKeyOf(options.publicKey);
  if (isValidatedCheckpoint(doc)) {
    const validation = validateCheckpointValue(doc);
    return finish(doc, validation.issues, validation.computedHash, publicKey, true);
  }
  let copy: unknown;
  let validation: ReturnType<typeof validateCheckpointValue>;
  try {
    // Checked and returned is one copy, read once: the caller's object may change under us.
    copy = copyData(doc);
    validation = validateCheckpointValue(copy);
  } catch (cause) {
    // Only an object built in memory can get here (a getter or a Proxy that throws).
    const message = `not readable as JSON data: ${cause instanceof Error ? cause.message : 'unknown error'}`;
    return finish(null, [issue('CHECKPOINT_SCHEMA', '', message)], null, publicKey, true);
  }
  return finish(copy, validation.issues, validation.computedHash, publicKey, true);
}

function finish(
  doc: unknown,
  issues: CheckpointIssue[],
  computedHash: string | null,
  publicKey: ReturnType<typeof publicKeyOf> | undefined,
  owned: boolean,
): VerifiedDocument {
  // computedHash is null when the document was too broken to hash: nothing more to check.
  const record = (computedHash === null ? {} : doc) as Partial<Checkpoint>;
  const malformedSignature = issues.some((found) => found.path.startsWith('signature'));
  const signatureField = malformedSignature ? undefined : record.signature;
  const claimedHash = typeof record.stateHash === 'string' ? record.stateHash : null;
  let signature: SignatureStatus =
    computedHash === null
      ? 'not-checked'
      : malformedSignature
        ? 'invalid'
        : signatureField === undefined
          ? 'absent'
          : 'not-checked';
  if (
    publicKey !== undefined &&
    computedHash !== null &&
    claimedHash !== null &&
    !malformedSignature
  ) {
    const found = signatureIssues(claimedHash, signatureField, publicKey);
    issues.push(...found);
    if (signatureField !== undefined) signature = found.length === 0 ? 'verified' : 'invalid';
  }
  const ok = issues.length === 0;
  const signed = ok && signature === 'verified';
  const result: VerifyResult = {
    ok,
    signed,
    level: !ok ? 'invalid' : signed ? 'signed' : 'integrity-only',
    signature,
    keyId: signatureField?.keyId ?? null,
    stateHash: ok ? computedHash : null,
    errors: issues,
  };
  const checkpoint = ok ? (doc as Checkpoint) : null;
  return {
    result,
    checkpoint: owned && checkpoint !== null ? sealValidated(checkpoint) : checkpoint,
  };
}

/** Like `verifyCheckpointValue`, from JSON text: syntax, truncation and duplicate keys too. */
export function verifyCheckpointText(text: string, options: VerifyOptions = {}): VerifiedDocument {
  return verifyText(text, options).verified;
}

/** Fields only a checkpoint has (`version`, `model` and `config` are common elsewhere too). */
const CHECKPOINT_ONLY_FIELDS = CHECKPOINT_FIELDS.filter(
  (field) => !['version', 'model', 'config', 'signature'].includes(field),
);

/**
 * `verifyCheckpointText`, and whether the text is some other JSON document: JSON that is not
 * an object, or an object with none of the fields only a checkpoint has (a `package.json`).
 * Text that is not JSON is not "other JSON": it may be a damaged checkpoint.
 */
export function verifyText(
  text: string,
  options: VerifyOptions = {},
): { verified: VerifiedDocument; otherJson: boolean } {
  const publicKey = options.publicKey === undefined ? undefined : publicKeyOf(options.publicKey);
  const syntax = checkJsonText(text);
  if (syntax !== null) {
    return { verified: finish(null, [syntax], null, publicKey, true), otherJson: false };
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : String(cause);
    const verified = finish(
      null,
      [issue('CHECKPOINT_NOT_JSON', '', message)],
      null,
      publicKey,
      true,
    );
    return { verified, otherJson: false };
  }
  const { issues, computedHash } = validateCheckpointValue(doc);
  const verified = finish(doc, issues, computedHash, publicKey, true);
  const otherJson =
    !verified.result.ok &&
    (doc === null ||
      typeof doc !== 'object' ||
      Array.isArray(doc) ||
      !CHECKPOINT_ONLY_FIELDS.some((field) => Object.hasOwn(doc, field)));
  return { verified, otherJson };
}

/** Parses and fully checks checkpoint text; throws a SonaError with the first problem's code. */
export function parseCheckpoint(text: string, options: VerifyOptions = {}): Checkpoint {
  const { result, checkpoint } = verifyCheckpointText(text, options);
  if (checkpoint === null) throw issuesToError(result.errors as CheckpointIssue[]);
  return checkpoint;
}

/**
 * The checkpoint itself if this library made it, else the validated deep copy (frozen, sharing
 * nothing with the caller's object); throws if invalid.
 */
export function requireValid(checkpoint: Checkpoint): Checkpoint {
  if (isValidatedCheckpoint(checkpoint)) return checkpoint;
  const { result, checkpoint: valid } = verifyCheckpointValue(checkpoint);
  if (valid === null) throw issuesToError(result.errors as CheckpointIssue[]);
  return valid;
}

/** A copy of a valid checkpoint with an Ed25519 signature over its stateHash (replacing any). */
export function signCheckpoint(checkpoint: Checkpoint, privateKey: KeyInput): Checkpoint {
  const valid = requireValid(checkpoint);
  const signature = signStateHash(valid.stateHash, privateKey);
  return sealValidated({ ...valid, signature });
}

function adapterState(adapter: LoraAdapterFile): LoraAdapterRecord {
  return {
    dim: adapter.dim,
    rank: adapter.rank,
    alpha: adapter.alpha,
    A: decodeFloat32(adapter.A, adapter.rank * adapter.dim),
    B: decodeFloat32(adapter.B, adapter.dim * adapter.rank),
  };
}

/**
 * The state a checkpoint holds, with fresh Float32Arrays (what an engine restores from).
 * Checks the checkpoint first and throws its first problem's code if it is not valid.
 */
export function checkpointRecord(checkpoint: Checkpoint): CheckpointRecord {
  const valid = requireValid(checkpoint);
  const multi = valid.multiHeadLoRA;
  const ewc = valid.ewcState;
  const { count, dim, data } = valid.patternCentroids;
  return {
    model: structuredClone(valid.model),
    config: structuredClone(valid.config),
    loraWeights: valid.loraWeights === null ? null : adapterState(valid.loraWeights),
    multiHeadLoRA:
      multi === null
        ? null
        : {
            shared: adapterState(multi.shared),
            heads: Object.fromEntries(
              headOrderOf(valid).map((type) => [type, adapterState(multi.heads[type]!)]),
            ),
            headOrder: [...headOrderOf(valid)],
          },
    trajectoryStats: structuredClone(valid.trajectoryStats),
    ewcState:
      ewc === null
        ? null
        : {
            lambda: ewc.lambda,
            fisher: decodeFloat32(ewc.fisher),
            anchor: decodeFloat32(ewc.anchor),
          },
    patternCentroids: { count, dim, data: decodeFloat32(data, count * dim) },
    patternQualities: decodeFloat32(valid.patternQualities, count),
    improvementHistory: structuredClone(valid.improvementHistory),
    engine: valid.engine === null ? null : decodePlainData(valid.engine as JsonValue),
  };
}
