import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type SonaErrorCode, TASK_TYPES } from '@sona/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectSonaError } from '../../../tools/testing/sona-error';
import {
  checkpointRecord,
  createCheckpoint,
  parseCheckpoint,
  signCheckpoint,
  verifyCheckpointText,
  verifyCheckpointValue,
} from './checkpoint';
import { computeStateHash } from './hash';
import { serializeCheckpoint } from './io';
import { keyIdOf, signedMessage } from './signature';
import { bitEqual, checkpointRecordArbitrary, seededState } from './test-fixtures';
import type { CheckpointRecord } from './types';
import { adapterParameterCount } from './validate';

// biome-ignore lint/suspicious/noExplicitAny: tests reach into arbitrary JSON documents.
type Loose = Record<string, any>;

const small = () => seededState(7, { dim: 4, patterns: 2, replayItems: 2, epochs: 2 });

describe('createCheckpoint', () => {
  it('round-trips any valid state exactly: create → text → parse → state is bit-identical', () => {
    fc.assert(
      fc.property(checkpointRecordArbitrary, (state) => {
        const checkpoint = createCheckpoint(state);
        const parsed = parseCheckpoint(serializeCheckpoint(checkpoint));
        expect(parsed).toEqual(checkpoint);
        expect(parsed.stateHash).toBe(checkpoint.stateHash);
        const restored = checkpointRecord(parsed);
        expect(bitEqual(restored, { ...state, engine: state.engine ?? null })).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it('is deterministic: the same state gives the same hash, pinned for a fixed seed', () => {
    const a = createCheckpoint(small());
    const b = createCheckpoint(small());
    expect(a.stateHash).toBe(b.stateHash);
    expect(a.stateHash).toBe(computeStateHash(a));
    // Pinned: a change here means every checkpoint hash changed (format, encoding or core Rng).
    // Last moved by format 2 (headOrder, open task types).
    expect(a.stateHash).toBe('94e354a3426d93614de98fd9b90cddee89791f6af3e0ded6b28a27ec6a6dc331');
  });

  it('copies the state and freezes the result', () => {
    const state = small();
    const checkpoint = createCheckpoint(state);
    state.multiHeadLoRA!.shared.A[0] = 123;
    expect(verifyCheckpointValue(checkpoint).result.ok).toBe(true);
    expect(Object.isFrozen(checkpoint)).toBe(true);
    expect(Object.isFrozen(checkpoint.improvementHistory[0])).toBe(true);
  });

  it('stores the engine state so that it comes back bit-exactly', () => {
    const engine = {
      rng: { key: [1, 2, 3, 4], generator: [-5, 6, 7, 8] },
      momentum: new Float32Array([-0, 1.5, -2e-40]),
      zero: -0,
      nested: [{ buffer: new Float32Array(0) }, null, 'text', true],
    };
    const checkpoint = createCheckpoint({ ...small(), engine });
    const restored = checkpointRecord(parseCheckpoint(serializeCheckpoint(checkpoint)));
    expect(bitEqual(restored.engine, engine)).toBe(true);
  });

  const mutate = (change: (state: Loose) => void): CheckpointRecord => {
    const state = structuredClone(small()) as Loose;
    change(state);
    return state as CheckpointRecord;
  };

  it.each<[string, (state: Loose) => void, SonaErrorCode]>([
    ['a tensor that is a number[]', (s) => (s.patternQualities = [0.5, 0.5]), 'INVALID_ARGUMENT'],
    [
      'A of the wrong length',
      (s) => (s.multiHeadLoRA.shared.A = new Float32Array(3)),
      'CHECKPOINT_SHAPE_MISMATCH',
    ],
    [
      'a head of another dim',
      (s) => (s.multiHeadLoRA.heads.refactor.dim = 5),
      'CHECKPOINT_SHAPE_MISMATCH',
    ],
    [
      'Fisher of the wrong length',
      (s) => (s.ewcState.fisher = new Float32Array(1)),
      'CHECKPOINT_SHAPE_MISMATCH',
    ],
    [
      'a negative Fisher value',
      (s) => (s.ewcState.fisher[3] = -1e-6),
      'CHECKPOINT_NEGATIVE_FISHER',
    ],
    ['a NaN weight', (s) => (s.ewcState.anchor[0] = Number.NaN), 'CHECKPOINT_BAD_NUMBER'],
    ['a pattern quality of 1.5', (s) => (s.patternQualities[1] = 1.5), 'CHECKPOINT_QUALITY_RANGE'],
    [
      'a mean quality of -0.1',
      (s) => (s.trajectoryStats.meanQuality = -0.1),
      'CHECKPOINT_QUALITY_RANGE',
    ],
    ['a string seed', (s) => (s.config.seed = '7'), 'CHECKPOINT_BAD_NUMBER'],
    [
      'an infinite alpha',
      (s) => (s.multiHeadLoRA.shared.alpha = Infinity),
      'CHECKPOINT_BAD_NUMBER',
    ],
    ['an unknown SONA version', (s) => (s.config.sonaVersion = 'v4'), 'CHECKPOINT_SCHEMA'],
    ['a missing head', (s) => delete s.multiHeadLoRA.heads.test_gen, 'CHECKPOINT_SCHEMA'],
    ['an unknown field', (s) => (s.model.extra = 1), 'CHECKPOINT_SCHEMA'],
    ['a NaN in the engine state', (s) => (s.engine.replay[0].priority = Number.NaN), 'NON_FINITE'],
    ['a Map in the engine state', (s) => (s.engine.map = new Map()), 'INVALID_ARGUMENT'],
  ])('rejects %s', (_, change, expected) => {
    const state = mutate(change);
    const before = structuredClone(state);
    expectSonaError(() => createCheckpoint(state), expected);
    expect(bitEqual(state, before)).toBe(true);
  });
});

describe('format 1 files', () => {
  // Written by the format-1 library (before open task types): the four TASK_TYPES heads, no
  // headOrder. It must keep verifying and restore with its heads in TASK_TYPES order.
  const text = readFileSync(new URL('./format-1-fixture.json', import.meta.url), 'utf8');

  it('still verify, and restore with the heads in TASK_TYPES order', () => {
    const checkpoint = parseCheckpoint(text);
    expect(checkpoint.version).toBe(1);
    const state = checkpointRecord(checkpoint);
    expect(state.multiHeadLoRA?.headOrder).toEqual([...TASK_TYPES]);
    expect(Object.keys(state.trajectoryStats.byType).sort()).toEqual([...TASK_TYPES].sort());
    expect(adapterParameterCount(checkpoint)).toBe(5 * 2 * 3);
  });

  it('are rewritten as format 2 with the same content', () => {
    const rewritten = createCheckpoint(checkpointRecord(parseCheckpoint(text)));
    expect(rewritten.version).toBe(2);
    expect(rewritten.multiHeadLoRA?.headOrder).toEqual([...TASK_TYPES]);
    expect(bitEqual(checkpointRecord(rewritten), checkpointRecord(parseCheckpoint(text)))).toBe(
      true,
    );
  });
});

describe('EWC parameter layout', () => {
  it('counts loraWeights then the multi-head adapters, A and B each', () => {
    const state = small();
    const dim = 4;
    const expected = 2 * dim * 4 + TASK_TYPES.length * 2 * dim * 2;
    const checkpoint = createCheckpoint(state);
    expect(adapterParameterCount(checkpoint)).toBe(expected);
    expect(state.ewcState!.fisher.length).toBe(expected);
  });
});

describe('signatures', () => {
  const pair = () => generateKeyPairSync('ed25519');

  it('sign then verify with the public key: signed', () => {
    const { privateKey, publicKey } = pair();
    const signed = signCheckpoint(createCheckpoint(small()), privateKey);
    const { result } = verifyCheckpointText(serializeCheckpoint(signed), { publicKey });
    expect(result).toMatchObject({
      ok: true,
      signed: true,
      level: 'signed',
      signature: 'verified',
    });
    expect(result.keyId).toBe(keyIdOf(publicKey));
  });

  it('without a key a signed file is integrity only, its signature not checked', () => {
    const { privateKey } = pair();
    const signed = signCheckpoint(createCheckpoint(small()), privateKey);
    const { result } = verifyCheckpointText(serializeCheckpoint(signed));
    expect(result).toMatchObject({
      ok: true,
      signed: false,
      level: 'integrity-only',
      signature: 'not-checked',
    });
  });

  it('an unsigned file with a key required: CHECKPOINT_UNSIGNED', () => {
    const { result } = verifyCheckpointValue(createCheckpoint(small()), {
      publicKey: pair().publicKey,
    });
    expect(result.errors.map((e) => e.code)).toEqual(['CHECKPOINT_UNSIGNED']);
  });

  it('a signature by another key: CHECKPOINT_FOREIGN_SIGNATURE', () => {
    const signed = signCheckpoint(createCheckpoint(small()), pair().privateKey);
    const { result } = verifyCheckpointValue(signed, { publicKey: pair().publicKey });
    expect(result.errors.map((e) => e.code)).toEqual(['CHECKPOINT_FOREIGN_SIGNATURE']);
  });

  it('a forged key id or a flipped signature bit: CHECKPOINT_BAD_SIGNATURE', () => {
    const mine = pair();
    const theirs = pair();
    const signed = signCheckpoint(createCheckpoint(small()), theirs.privateKey);
    const forged = {
      ...signed,
      signature: { ...signed.signature!, keyId: keyIdOf(mine.publicKey) },
    };
    expect(
      verifyCheckpointValue(forged, { publicKey: mine.publicKey }).result.errors[0]?.code,
    ).toBe('CHECKPOINT_BAD_SIGNATURE');
    const bytes = Buffer.from(signed.signature!.value, 'base64');
    bytes[10]! ^= 1;
    const flipped = {
      ...signed,
      signature: { ...signed.signature!, value: bytes.toString('base64') },
    };
    expect(
      verifyCheckpointValue(flipped, { publicKey: theirs.publicKey }).result.errors[0]?.code,
    ).toBe('CHECKPOINT_BAD_SIGNATURE');
  });

  it('a signature does not survive a content change (the hash no longer matches)', () => {
    const { privateKey, publicKey } = pair();
    const signed = signCheckpoint(createCheckpoint(small()), privateKey);
    const changed = { ...signed, config: { ...signed.config, seed: 8 } };
    const codes = verifyCheckpointValue(changed, { publicKey }).result.errors.map((e) => e.code);
    expect(codes).toContain('CHECKPOINT_HASH_MISMATCH');
  });

  it('one signature has one spelling: any other base64 of the same 64 bytes is CHECKPOINT_SCHEMA', () => {
    const { privateKey, publicKey } = pair();
    const signed = signCheckpoint(createCheckpoint(small()), privateKey);
    const value = signed.signature!.value;
    expect(value).toMatch(/^[A-Za-z0-9+/]{86}==$/);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    const last = alphabet.indexOf(value[85]!);
    // The last character carries 2 bits of the last byte; its other 4 bits are padding.
    const respellings = Array.from({ length: 15 }, (_, k) => {
      const other = alphabet[(last & 0b110000) | ((last + k + 1) & 0b1111)]!;
      return `${value.slice(0, 85)}${other}==`;
    });
    for (const respelled of respellings) {
      expect(Buffer.from(respelled, 'base64').equals(Buffer.from(value, 'base64'))).toBe(true);
      const doc = { ...signed, signature: { ...signed.signature!, value: respelled } };
      for (const options of [{ publicKey }, {}]) {
        const { result } = verifyCheckpointValue(doc, options);
        expect(result.ok).toBe(false);
        expect(result.signature).toBe('invalid');
        expect(result.errors.map((e) => [e.code, e.path])).toEqual([
          ['CHECKPOINT_SCHEMA', 'signature.value'],
        ]);
      }
    }
    expect(verifyCheckpointValue(signed, { publicKey }).result.level).toBe('signed');
    for (const bad of ['', `${value.slice(0, 84)}==`, `${value}AAAA`, value.replace(/==$/, 'A=')]) {
      const doc = { ...signed, signature: { ...signed.signature!, value: bad } };
      expect(verifyCheckpointValue(doc).result.errors[0]?.path).toBe('signature.value');
    }
  });

  it('signs exactly the documented message', () => {
    expect(signedMessage('0123456789abcdef', 'ab'.repeat(32)).toString()).toBe(
      `sona-checkpoint/v1\n0123456789abcdef\n${'ab'.repeat(32)}`,
    );
  });

  it('refuses keys that are not Ed25519', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
    expectSonaError(
      () => signCheckpoint(createCheckpoint(small()), rsa.privateKey),
      'INVALID_ARGUMENT',
    );
    expectSonaError(
      () => verifyCheckpointValue({}, { publicKey: 'not a pem' }),
      'INVALID_ARGUMENT',
    );
  });
});
