import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isSonaError } from '@sona/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectSonaError } from '../../../tools/testing/sona-error';
import { checkpointRecord, createCheckpoint } from './checkpoint';
import { compareCheckpoints } from './compare';
import {
  listCheckpoints,
  loadCheckpoint,
  saveCheckpoint,
  serializeCheckpoint,
  verifyCheckpoint,
} from './io';
import { bitEqual, checkpointRecordArbitrary, seededState } from './test-fixtures';
import type { Checkpoint } from './types';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sona-checkpoint-io-'));
});

afterAll(() => rm(dir, { recursive: true, force: true }));

async function rejection(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    return isSonaError(error) ? error.code : `not a SonaError: ${String(error)}`;
  }
  return undefined;
}

describe('save → load → verify', () => {
  it('is exact for random states', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(checkpointRecordArbitrary, async (state) => {
        const path = join(dir, `roundtrip-${n++}.json`);
        const checkpoint = createCheckpoint(state);
        await saveCheckpoint(path, checkpoint);
        const loaded = await loadCheckpoint(path);
        expect(loaded).toEqual(checkpoint);
        expect(await verifyCheckpoint(path)).toMatchObject({
          ok: true,
          stateHash: checkpoint.stateHash,
        });
        expect(bitEqual(checkpointRecord(loaded), { ...state, engine: state.engine ?? null })).toBe(
          true,
        );
      }),
      { numRuns: 40 },
    );
  });

  it('writes the documented text and leaves no temporary file', async () => {
    const sub = await mkdtemp(join(dir, 'clean-'));
    const checkpoint = createCheckpoint(seededState(5, { dim: 4, patterns: 1, replayItems: 1 }));
    await saveCheckpoint(join(sub, 'a.json'), checkpoint);
    await saveCheckpoint(join(sub, 'a.json'), checkpoint);
    expect(await readdir(sub)).toEqual(['a.json']);
    expect(await readFile(join(sub, 'a.json'), 'utf8')).toBe(serializeCheckpoint(checkpoint));
  });

  it('refuses to write an invalid checkpoint and leaves the previous file as it was', async () => {
    const path = join(dir, 'keep.json');
    const checkpoint = createCheckpoint(seededState(6, { dim: 4, patterns: 1, replayItems: 1 }));
    await saveCheckpoint(path, checkpoint);
    const before = await readFile(path, 'utf8');
    const tampered = { ...checkpoint, config: { ...checkpoint.config, seed: 99 } } as Checkpoint;
    expect(await rejection(saveCheckpoint(path, tampered))).toBe('CHECKPOINT_HASH_MISMATCH');
    expect(await readFile(path, 'utf8')).toBe(before);
  });

  it('reports a directory that does not exist as CHECKPOINT_IO', async () => {
    const checkpoint = createCheckpoint(seededState(6, { dim: 4, patterns: 1, replayItems: 1 }));
    expect(await rejection(saveCheckpoint(join(dir, 'no', 'such', 'x.json'), checkpoint))).toBe(
      'CHECKPOINT_IO',
    );
  });

  it('verifies objects as well as paths, and never throws for a bad one', async () => {
    const checkpoint = createCheckpoint(seededState(8, { dim: 4, patterns: 1, replayItems: 1 }));
    expect(await verifyCheckpoint(checkpoint)).toMatchObject({ ok: true, level: 'integrity-only' });
    const throwing = {
      ...checkpoint,
      get model(): never {
        throw new Error('boom');
      },
    };
    const proxy = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error('boom');
        },
      },
    );
    const inputs = [
      null,
      42,
      '',
      [],
      { version: 1 },
      { ...checkpoint, stateHash: 'x' },
      throwing,
      proxy,
    ];
    for (const bad of inputs) {
      const result = await verifyCheckpoint(bad as object);
      expect(result.ok).toBe(false);
      expect(result.errors.length).toBeGreaterThan(0);
    }
  });

  it('saves the copy it checked: a getter or Proxy that changes value cannot get a file that fails its hash', async () => {
    const valid = createCheckpoint(seededState(9, { dim: 4, patterns: 1, replayItems: 1 }));
    const plain = JSON.parse(serializeCheckpoint(valid));
    let reads = 0;
    const shifting = {
      ...plain,
      get model() {
        reads++;
        return reads === 1 ? plain.model : { ...plain.model, name: 'changed after the check' };
      },
    };
    const seedReads = new Map<string, number>();
    const proxy = new Proxy(plain, {
      get(target, key, receiver) {
        if (key !== 'config') return Reflect.get(target, key, receiver);
        const n = (seedReads.get('config') ?? 0) + 1;
        seedReads.set('config', n);
        return n === 1 ? target.config : { ...target.config, seed: 12345 };
      },
    });
    for (const [name, input] of [
      ['getter', shifting],
      ['proxy', proxy],
    ] as const) {
      const path = join(dir, `shifting-${name}.json`);
      await saveCheckpoint(path, input as Checkpoint);
      const result = await verifyCheckpoint(path);
      expect(result.errors).toEqual([]);
      expect(result.stateHash).toBe(valid.stateHash);
      expect(await readFile(path, 'utf8')).toBe(serializeCheckpoint(valid));
    }
    expect(reads).toBe(1);
    expect(seedReads.get('config')).toBe(1);
  });

  it('rejects a bad maxBytes as an argument error', async () => {
    expect(await rejection(loadCheckpoint(join(dir, 'keep.json'), { maxBytes: -1 }))).toBe(
      'INVALID_ARGUMENT',
    );
  });
});

describe('listCheckpoints', () => {
  it('lists *.json files by name, skipping dot files, with summaries for valid ones', async () => {
    const sub = await mkdtemp(join(dir, 'list-'));
    await saveCheckpoint(
      join(sub, 'b.json'),
      createCheckpoint(seededState(1, { dim: 4, patterns: 2, replayItems: 1 })),
    );
    await saveCheckpoint(
      join(sub, 'a.json'),
      createCheckpoint(seededState(2, { dim: 4, patterns: 3, replayItems: 1 })),
    );
    await writeFile(join(sub, 'broken.json'), '{"version": 1');
    await writeFile(join(sub, '.a.json.123.0.tmp'), 'partial');
    await writeFile(join(sub, '.hidden.json'), '{}');
    await writeFile(join(sub, 'notes.txt'), 'hello');
    const listing = await listCheckpoints(sub);
    expect(listing.map((l) => l.file)).toEqual(
      ['a.json', 'b.json', 'broken.json'].map((f) => join(sub, f)),
    );
    expect(listing.map((l) => l.result.ok)).toEqual([true, true, false]);
    expect(listing[0]!.summary).toMatchObject({
      model: 'Qwen2.5-Coder-7B',
      sonaVersion: 'v3',
      seed: 2,
      patterns: 3,
    });
    expect(listing[2]!.result.errors[0]!.code).toBe('CHECKPOINT_TRUNCATED');
    expect(listing[2]!.summary).toBeNull();
  });

  it('reports a missing directory as CHECKPOINT_IO', async () => {
    expect(await rejection(listCheckpoints(join(dir, 'nope')))).toBe('CHECKPOINT_IO');
  });
});

describe('compareCheckpoints', () => {
  it('a checkpoint compared with itself: identical, no changes, every distance 0', () => {
    const a = createCheckpoint(seededState(4, { dim: 4, patterns: 2, replayItems: 1 }));
    const c = compareCheckpoints(a, a);
    expect(c.identical).toBe(true);
    expect(c.configChanges).toEqual([]);
    expect(c.tensors.every((t) => t.l2 === 0)).toBe(true);
    expect(c.epochs.every((e) => Object.values(e.metrics).every((m) => m.delta === 0))).toBe(true);
  });

  it('reports settings, metric deltas, L2 distances and pattern counts', () => {
    const stateA = seededState(4, { dim: 4, patterns: 2, replayItems: 1, epochs: 2 });
    // biome-ignore lint/suspicious/noExplicitAny: the test rewrites parts of a state freely.
    const stateB = structuredClone(stateA) as any;
    stateB.config = { ...stateA.config, seed: 5, newSetting: true };
    delete stateB.config.tasksPerEpoch;
    stateB.multiHeadLoRA.shared.A[0] += 3;
    stateB.multiHeadLoRA.shared.A[1] += 4;
    stateB.improvementHistory = [
      {
        ...stateA.improvementHistory[0]!,
        successRate: stateA.improvementHistory[0]!.successRate + 0.25,
      },
      ...stateA.improvementHistory.slice(1),
      { epoch: 2, successRate: 0.5, meanQuality: 0.5, temperature: 0.8 },
    ];
    stateB.patternCentroids = { count: 3, dim: 4, data: new Float32Array(12) };
    stateB.patternQualities = new Float32Array(3);
    const c = compareCheckpoints(createCheckpoint(stateA), createCheckpoint(stateB));
    expect(c.identical).toBe(false);
    expect(c.configChanges).toEqual([
      { path: 'config.newSetting', kind: 'added', before: null, after: true },
      { path: 'config.seed', kind: 'changed', before: 4, after: 5 },
      { path: 'config.tasksPerEpoch', kind: 'removed', before: 60, after: null },
    ]);
    const sharedA = c.tensors.find((t) => t.tensor === 'multiHeadLoRA.shared.A')!;
    expect(sharedA.l2).toBeCloseTo(5, 5);
    expect(c.tensors.find((t) => t.tensor === 'multiHeadLoRA.shared.B')!.l2).toBe(0);
    expect(c.tensors.find((t) => t.tensor === 'patternCentroids.data')).toMatchObject({
      shapeA: [2, 4],
      shapeB: [3, 4],
      l2: null,
    });
    expect(c.epochs[0]!.metrics.successRate!.delta).toBeCloseTo(0.25, 12);
    expect(c.epochs[2]).toEqual({
      epoch: 2,
      metrics: {
        meanQuality: { a: null, b: 0.5, delta: null },
        successRate: { a: null, b: 0.5, delta: null },
        temperature: { a: null, b: 0.8, delta: null },
      },
    });
    expect(c.patterns).toEqual({ a: 2, b: 3, change: 1 });
  });

  it('refuses an invalid checkpoint', () => {
    const a = createCheckpoint(seededState(4, { dim: 4, patterns: 2, replayItems: 1 }));
    const bad = { ...a, stateHash: '0'.repeat(64) } as Checkpoint;
    expectSonaError(() => compareCheckpoints(a, bad), 'CHECKPOINT_HASH_MISMATCH');
  });
});
