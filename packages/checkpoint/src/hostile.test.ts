import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeFloat32, encodeFloat32, isSonaError } from '@sona/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCheckpoint, signCheckpoint } from './checkpoint';
import { computeStateHash } from './hash';
import { loadCheckpoint, serializeCheckpoint, verifyCheckpoint } from './io';
import { seededState } from './test-fixtures';

let dir: string;
let counter = 0;
const base = createCheckpoint(seededState(3, { dim: 4, patterns: 3, replayItems: 2, epochs: 3 }));
const baseText = serializeCheckpoint(base);

// biome-ignore lint/suspicious/noExplicitAny: tests reach into arbitrary JSON documents.
type Doc = Record<string, any>;

/** A modified copy of the valid checkpoint with its hash recomputed, so only `change` is wrong. */
function rehashed(change: (doc: Doc) => void): string {
  const doc = JSON.parse(baseText) as Doc;
  change(doc);
  doc.stateHash = computeStateHash(doc);
  return JSON.stringify(doc, null, 2);
}

function tensorEdit(text: string, edit: (values: Float32Array) => void): string {
  const values = decodeFloat32(text);
  edit(values);
  return encodeFloat32(values);
}

async function file(content: string | Buffer): Promise<string> {
  const path = join(dir, `case-${counter++}.json`);
  await writeFile(path, content);
  return path;
}

/** The codes verifyCheckpoint reports, after checking loadCheckpoint throws the first of them. */
async function codes(path: string, options: Parameters<typeof verifyCheckpoint>[1] = {}) {
  const result = await verifyCheckpoint(path, options);
  expect(result.ok).toBe(false);
  expect(result.level).toBe('invalid');
  let thrown: unknown;
  try {
    await loadCheckpoint(path, options);
  } catch (error) {
    thrown = error;
  }
  expect(isSonaError(thrown)).toBe(true);
  expect((thrown as { code: string }).code).toBe(result.errors[0]?.code);
  return result.errors.map((e) => e.code);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sona-checkpoint-hostile-'));
});

afterAll(() => rm(dir, { recursive: true, force: true }));

describe('hostile checkpoint files: each problem has its own code, never a crash', () => {
  it('the untouched file is valid (the baseline for every case below)', async () => {
    expect(await verifyCheckpoint(await file(baseText))).toMatchObject({ ok: true, errors: [] });
  });

  it.each<[string, () => string | Buffer, string]>([
    ['not JSON', () => 'checkpoint: yes', 'CHECKPOINT_NOT_JSON'],
    ['not UTF-8', () => Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), 'CHECKPOINT_NOT_JSON'],
    ['truncated', () => baseText.slice(0, baseText.length >> 1), 'CHECKPOINT_TRUNCATED'],
    ['empty', () => '', 'CHECKPOINT_TRUNCATED'],
    [
      '__proto__ key',
      () => baseText.replace('"config": {', '"config": {"__proto__": {"polluted": true},'),
      'CHECKPOINT_FORBIDDEN_KEY',
    ],
    [
      'constructor key',
      () => baseText.replace('{', '{"constructor": 1,'),
      'CHECKPOINT_FORBIDDEN_KEY',
    ],
    [
      'prototype key in the engine state',
      () => baseText.replace('"engine": {', '"engine": {"prototype": {},'),
      'CHECKPOINT_FORBIDDEN_KEY',
    ],
    ['a duplicate key', () => baseText.replace('{', '{"version": 1,'), 'CHECKPOINT_DUPLICATE_KEY'],
    ['NaN literal', () => baseText.replace('"alpha": 8', '"alpha": NaN'), 'CHECKPOINT_BAD_NUMBER'],
    ['1e999', () => baseText.replace('"alpha": 8', '"alpha": 1e999'), 'CHECKPOINT_BAD_NUMBER'],
    ['a string number', () => rehashed((d) => (d.config.seed = '3')), 'CHECKPOINT_BAD_NUMBER'],
    [
      'null for a number',
      () => rehashed((d) => (d.ewcState.lambda = null)),
      'CHECKPOINT_BAD_NUMBER',
    ],
    [
      'a NaN inside a weight tensor',
      () =>
        rehashed((d) => {
          d.ewcState.anchor = tensorEdit(d.ewcState.anchor, (v) => (v[2] = Number.NaN));
        }),
      'CHECKPOINT_BAD_NUMBER',
    ],
    [
      'A not rank × dim',
      () => rehashed((d) => (d.multiHeadLoRA.shared.A = encodeFloat32(new Float32Array(15)))),
      'CHECKPOINT_SHAPE_MISMATCH',
    ],
    [
      'B not dim × rank',
      () => rehashed((d) => (d.multiHeadLoRA.heads.bug_fix.B = encodeFloat32(new Float32Array(9)))),
      'CHECKPOINT_SHAPE_MISMATCH',
    ],
    [
      'Fisher not the size of the parameters',
      () => rehashed((d) => (d.ewcState.fisher = encodeFloat32(new Float32Array(5)))),
      'CHECKPOINT_SHAPE_MISMATCH',
    ],
    [
      'centroids not count × dim',
      () => rehashed((d) => (d.patternCentroids.count = 4)),
      'CHECKPOINT_SHAPE_MISMATCH',
    ],
    [
      'a negative Fisher value',
      () =>
        rehashed((d) => {
          d.ewcState.fisher = tensorEdit(d.ewcState.fisher, (v) => (v[7] = -0.25));
        }),
      'CHECKPOINT_NEGATIVE_FISHER',
    ],
    [
      'a pattern quality above 1',
      () =>
        rehashed((d) => {
          d.patternQualities = tensorEdit(d.patternQualities, (v) => (v[0] = 1.0001));
        }),
      'CHECKPOINT_QUALITY_RANGE',
    ],
    [
      'a mean quality below 0',
      () => rehashed((d) => (d.improvementHistory[1].meanQuality = -0.5)),
      'CHECKPOINT_QUALITY_RANGE',
    ],
    ['format version 3', () => rehashed((d) => (d.version = 3)), 'CHECKPOINT_UNKNOWN_VERSION'],
    [
      'format 2 without headOrder',
      () => rehashed((d) => delete d.multiHeadLoRA.headOrder),
      'CHECKPOINT_SCHEMA',
    ],
    [
      'a headOrder that names a head twice',
      () => rehashed((d) => (d.multiHeadLoRA.headOrder[1] = d.multiHeadLoRA.headOrder[0])),
      'CHECKPOINT_SCHEMA',
    ],
    [
      'a headOrder that misses a head',
      () => rehashed((d) => d.multiHeadLoRA.headOrder.pop()),
      'CHECKPOINT_SCHEMA',
    ],
    [
      'an empty head name',
      () =>
        rehashed((d) => {
          d.multiHeadLoRA.heads[''] = d.multiHeadLoRA.heads.bug_fix;
          delete d.multiHeadLoRA.heads.bug_fix;
          d.multiHeadLoRA.headOrder[1] = '';
        }),
      'CHECKPOINT_SCHEMA',
    ],
    ['format 1 with a headOrder', () => rehashed((d) => (d.version = 1)), 'CHECKPOINT_SCHEMA'],
    [
      'format 1 with a head that is not one of the four task types',
      () =>
        rehashed((d) => {
          d.version = 1;
          delete d.multiHeadLoRA.headOrder;
          d.multiHeadLoRA.heads['django/django'] = d.multiHeadLoRA.heads.bug_fix;
          delete d.multiHeadLoRA.heads.bug_fix;
        }),
      'CHECKPOINT_SCHEMA',
    ],
    [
      'format 1 with an open task type in byType',
      () =>
        rehashed((d) => {
          d.version = 1;
          delete d.multiHeadLoRA.headOrder;
          d.trajectoryStats.byType['django/django'] = d.trajectoryStats.byType.bug_fix;
          delete d.trajectoryStats.byType.bug_fix;
        }),
      'CHECKPOINT_SCHEMA',
    ],
    ['format version "1"', () => rehashed((d) => (d.version = '1')), 'CHECKPOINT_UNKNOWN_VERSION'],
    ['no version', () => rehashed((d) => delete d.version), 'CHECKPOINT_UNKNOWN_VERSION'],
    ['a JSON array', () => '[1, 2]', 'CHECKPOINT_SCHEMA'],
    ['a missing field', () => rehashed((d) => delete d.trajectoryStats), 'CHECKPOINT_SCHEMA'],
    [
      'content changed, hash kept',
      () => baseText.replace('"seed": 3', '"seed": 4'),
      'CHECKPOINT_HASH_MISMATCH',
    ],
    [
      'a hash that is not hex',
      () => baseText.replace(base.stateHash, 'Z'.repeat(64)),
      'CHECKPOINT_SCHEMA',
    ],
  ])('%s → %s', async (_, content, expected) => {
    expect((await codes(await file(content())))[0]).toBe(expected);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('a file larger than maxBytes is refused before it is read or parsed', async () => {
    const path = await file(baseText);
    expect(await codes(path, { maxBytes: Buffer.byteLength(baseText) - 1 })).toEqual([
      'CHECKPOINT_TOO_LARGE',
    ]);
    expect((await verifyCheckpoint(path, { maxBytes: Buffer.byteLength(baseText) })).ok).toBe(true);
    const garbage = await file(Buffer.alloc(8 << 20, 0x78));
    expect(await codes(garbage, { maxBytes: 1024 })).toEqual(['CHECKPOINT_TOO_LARGE']);
  });

  it('signatures: unsigned, foreign and bad are told apart', async () => {
    const signer = generateKeyPairSync('ed25519');
    const stranger = generateKeyPairSync('ed25519');
    const unsigned = await file(baseText);
    const signed = await file(serializeCheckpoint(signCheckpoint(base, signer.privateKey)));
    expect(await codes(unsigned, { publicKey: signer.publicKey })).toEqual(['CHECKPOINT_UNSIGNED']);
    expect(await codes(signed, { publicKey: stranger.publicKey })).toEqual([
      'CHECKPOINT_FOREIGN_SIGNATURE',
    ]);
    const doc = JSON.parse(serializeCheckpoint(signCheckpoint(base, signer.privateKey)));
    doc.signature.value = Buffer.alloc(64, 7).toString('base64');
    expect(await codes(await file(JSON.stringify(doc)), { publicKey: signer.publicKey })).toEqual([
      'CHECKPOINT_BAD_SIGNATURE',
    ]);
  });

  it('missing files, directories and FIFOs are I/O errors, and a FIFO never blocks the reader', async () => {
    expect(await codes(join(dir, 'missing.json'))).toEqual(['CHECKPOINT_IO']);
    const sub = join(dir, 'sub.json');
    await mkdir(sub);
    expect(await codes(sub)).toEqual(['CHECKPOINT_IO']);
    if (process.platform !== 'win32') {
      const fifo = join(dir, 'fifo.json');
      execFileSync('mkfifo', [fifo]);
      expect(await codes(fifo)).toEqual(['CHECKPOINT_IO']);
    }
  });

  it('a deeply nested file is refused without exhausting the stack', async () => {
    const deep = await file(`{"version": 1, "engine": ${'['.repeat(200_000)}`);
    expect(await codes(deep)).toEqual(['CHECKPOINT_SCHEMA']);
  });
});
