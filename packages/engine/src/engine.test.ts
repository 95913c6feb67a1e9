import { createRng, type SonaErrorCode, type Task, type Version } from '@sona/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectSonaError } from '../../../tools/testing/sona-error';
import { toyWorld } from '../test/toy-world';
import { OTHER_HEAD } from './adapter';
import { ENGINE_DEFAULTS, type EngineOverrides, SonaEngine } from './engine';
import type { EngineState } from './state';

function train(
  engine: SonaEngine,
  world: ReturnType<typeof toyWorld>,
  epochs: number,
  perEpoch: number,
  seed: number,
) {
  const outcomes = createRng(seed).fork('outcomes');
  const log: string[] = [];
  for (let e = 0; e < epochs; e++) {
    for (let i = 0; i < perEpoch; i++) {
      const task = engine.pickTask(world.pool);
      const { arm } = engine.choose(task);
      const t = engine.record(task, arm, world.attempt(task, arm, outcomes));
      log.push(`${t.taskId}:${t.arm}:${t.success}:${t.confidence}`);
    }
    engine.endEpoch();
  }
  return log;
}

function greedyRate(
  engine: SonaEngine,
  world: ReturnType<typeof toyWorld>,
  tasks: readonly Task[],
) {
  let total = 0;
  for (const task of tasks)
    total += world.successProbability(task, engine.choose(task, { explore: false }).arm);
  return total / tasks.length;
}

const versions: Version[] = ['v1', 'v2', 'v3'];

describe('SonaEngine learns', () => {
  it.each(versions)(
    '%s finds the best arm per cluster in a toy world (greedy ≫ random)',
    (version) => {
      const world = toyWorld(1);
      const engine = new SonaEngine({
        version,
        dim: world.dim,
        arms: world.armNames,
        modelParamsB: 7,
        rng: createRng(11),
        epochs: 5,
      });
      const before = greedyRate(engine, world, world.pool);
      train(engine, world, 5, 80, 5);
      const after = greedyRate(engine, world, world.pool);
      // random choice gives (0.9 + 2·0.2)/3 ≈ 0.43, the oracle 0.9
      expect(after).toBeGreaterThan(0.75);
      expect(after).toBeGreaterThan(before + 0.2);
      expect(engine.stats().patterns).toBeGreaterThan(0);
    },
  );
});

describe('SonaEngine is deterministic and resumes exactly', () => {
  it.each(versions)('%s: the same seed gives the same run', (version) => {
    const run = () => {
      const world = toyWorld(2);
      const engine = new SonaEngine({
        version,
        dim: world.dim,
        arms: world.armNames,
        modelParamsB: 1.3,
        rng: createRng(3),
        epochs: 3,
      });
      return train(engine, world, 3, 30, 9);
    };
    expect(run()).toEqual(run());
  });

  it('a restored engine continues bit-identically to one that never stopped', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...versions),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 40 }),
        fc.nat(),
        (version, epochsBefore, stepsBefore, seed) => {
          const world = toyWorld(seed % 7, { tasks: 60 });
          const options = {
            version,
            dim: world.dim,
            arms: world.armNames,
            modelParamsB: 3,
            rng: createRng(seed),
            epochs: 6,
          };
          const original = new SonaEngine(options);
          const outcomes = createRng(seed).fork('outcomes');
          const step = (engine: SonaEngine, rng = outcomes) => {
            const task = engine.pickTask(world.pool);
            const { arm } = engine.choose(task);
            const t = engine.record(task, arm, world.attempt(task, arm, rng));
            return `${t.arm}:${t.confidence}:${t.tdError}`;
          };
          for (let e = 0; e < epochsBefore; e++) {
            for (let i = 0; i < 15; i++) step(original);
            original.endEpoch();
          }
          for (let i = 0; i < stepsBefore; i++) step(original);
          const snapshot = structuredClone(original.state()) as EngineState;
          const resumed = SonaEngine.fromState(snapshot);
          const outcomesCopy = outcomes.clone();
          const a: string[] = [];
          const b: string[] = [];
          for (let i = 0; i < 20; i++) {
            a.push(step(original));
            b.push(step(resumed, outcomesCopy));
          }
          a.push(JSON.stringify(original.endEpoch()));
          b.push(JSON.stringify(resumed.endEpoch()));
          expect(b).toEqual(a);
          expect(bitsOfState(resumed.state())).toEqual(bitsOfState(original.state()));
        },
      ),
      { numRuns: 12 },
    );
  });
});

describe('SonaEngine with a subset of arms', () => {
  it('only ever picks an allowed arm, exploring or not, and still scores every arm', () => {
    const world = toyWorld(6, { tasks: 40, arms: 4 });
    const engine = new SonaEngine({
      version: 'v3',
      dim: world.dim,
      arms: world.armNames,
      modelParamsB: 2,
      rng: createRng(2),
      epochs: 2,
    });
    train(engine, world, 2, 30, 3);
    fc.assert(
      fc.property(
        fc.subarray(world.armNames, { minLength: 1 }),
        fc.nat(39),
        fc.boolean(),
        (allowed, t, explore) => {
          const choice = engine.choose(world.pool[t]!, { arms: allowed, explore });
          expect(allowed).toContain(choice.arm);
          expect(choice.scores.length).toBe(world.armNames.length);
          expect(choice.confidence).toBe(choice.scores[world.armNames.indexOf(choice.arm)]);
        },
      ),
    );
    expect(() => engine.choose(world.pool[0]!, { arms: [] })).toThrow();
    expect(() => engine.choose(world.pool[0]!, { arms: ['nope'] })).toThrow();
  });
});

describe('SonaEngine ablation overrides', () => {
  const cases: [string, EngineOverrides][] = [
    ['single adapter', { lora: 'single' }],
    ['no curriculum, no DDA', { curriculum: false, dda: false }],
    ['uniform replay', { replay: 'uniform' }],
    ['no diversity', { diversity: false }],
    ['no contrastive', { contrastive: false }],
    ['fixed learning rate', { learningRate: 'fixed' }],
    ['no EWC', { ewcLambda: 0 }],
  ];
  it.each(cases)('v3 with %s runs and round-trips its state', (_name, overrides) => {
    const world = toyWorld(4, { tasks: 60 });
    const engine = new SonaEngine({
      version: 'v3',
      dim: world.dim,
      arms: world.armNames,
      modelParamsB: 7,
      rng: createRng(1),
      overrides,
      epochs: 2,
    });
    train(engine, world, 2, 20, 2);
    expect(engine.config).toMatchObject(overrides);
    const restored = SonaEngine.fromState(structuredClone(engine.state()));
    expect(bitsOfState(restored.state())).toEqual(bitsOfState(engine.state()));
  });
});

describe('SonaEngine bad input', () => {
  const world = toyWorld(5, { tasks: 10 });
  const make = () =>
    new SonaEngine({
      version: 'v3',
      dim: world.dim,
      arms: world.armNames,
      modelParamsB: 7,
      rng: createRng(1),
    });
  const task = world.pool[0]!;
  const cases: [string, () => unknown, SonaErrorCode][] = [
    [
      'unknown version',
      () =>
        new SonaEngine({
          version: 'v4' as Version,
          dim: 4,
          arms: ['a'],
          modelParamsB: 1,
          rng: createRng(1),
        }),
      'INVALID_ARGUMENT',
    ],
    [
      'no arms',
      () => new SonaEngine({ version: 'v1', dim: 4, arms: [], modelParamsB: 1, rng: createRng(1) }),
      'INVALID_ARGUMENT',
    ],
    [
      'duplicate arms',
      () =>
        new SonaEngine({
          version: 'v1',
          dim: 4,
          arms: ['a', 'a'],
          modelParamsB: 1,
          rng: createRng(1),
        }),
      'INVALID_ARGUMENT',
    ],
    [
      'wrong embedding length',
      () => make().choose({ ...task, embedding: new Float32Array(3) }),
      'DIM_MISMATCH',
    ],
    [
      'NaN embedding',
      () => make().choose({ ...task, embedding: new Float32Array(world.dim).fill(Number.NaN) }),
      'NON_FINITE',
    ],
    ['an empty type', () => make().choose({ ...task, type: '' }), 'INVALID_ARGUMENT'],
    [
      'a type of 257 characters',
      () => make().choose({ ...task, type: 'x'.repeat(257) }),
      'INVALID_ARGUMENT',
    ],
    [
      'a type that is not a string',
      () => make().choose({ ...task, type: 7 as never }),
      'INVALID_ARGUMENT',
    ],
    ['difficulty out of range', () => make().choose({ ...task, difficulty: 1.5 }), 'OUT_OF_RANGE'],
    ['unknown arm', () => make().record(task, 'nope', { success: true }), 'INVALID_ARGUMENT'],
    [
      'quality out of range',
      () => make().record(task, 'arm0', { success: true, quality: 2 }),
      'OUT_OF_RANGE',
    ],
    ['corrupt state', () => SonaEngine.fromState({ ...make().state(), epoch: -1 }), 'OUT_OF_RANGE'],
    [
      'foreign state',
      () => SonaEngine.fromState({ kind: 'other' } as unknown as EngineState),
      'INVALID_STATE',
    ],
  ];
  it.each(cases)('%s is a SonaError', (_name, call, code) => {
    expectSonaError(call, code);
  });

  it('a rejected record leaves the engine exactly as it was', () => {
    const engine = make();
    const before = bitsOfState(engine.state());
    expect(() => engine.record(task, 'arm0', { success: true, quality: Number.NaN })).toThrow();
    expect(bitsOfState(engine.state())).toEqual(before);
  });
});

/** A comparable rendering of a state: Float32Arrays by their bits. */
function bitsOfState(state: unknown): string {
  return JSON.stringify(state, (_key, value) =>
    value instanceof Float32Array ? Array.from(new Uint32Array(value.slice().buffer)) : value,
  );
}

describe('SonaEngine with open task types', () => {
  it('gives each recorded type a head up to the cap, the rest share `other`, and resumes exactly', () => {
    const world = toyWorld(9, { tasks: 60 });
    const labels = Array.from({ length: ENGINE_DEFAULTS.maxTypeHeads + 3 }, (_, i) => `repo/${i}`);
    const engine = new SonaEngine({
      version: 'v3',
      dim: world.dim,
      arms: world.armNames,
      modelParamsB: 7,
      rng: createRng(4),
    });
    const outcomes = createRng(5);
    world.pool.forEach((t, i) => {
      // Real logs: any label, no difficulty, no bucket.
      const { difficulty: _d, bucket: _b, ...rest } = t;
      const task = { ...rest, type: labels[i % labels.length]! };
      const { arm } = engine.choose(task);
      engine.record(task, arm, world.attempt(t, arm, outcomes));
    });
    const state = engine.state();
    const heads = (state.adapter as { types: readonly string[] }).types;
    expect(heads).toEqual([OTHER_HEAD, ...labels.slice(0, ENGINE_DEFAULTS.maxTypeHeads)]);
    expect(state.typeStats.map((e) => e.type)).toEqual([...labels].sort());
    expect(state.ewc?.size).toBe((heads.length + 1) * 2 * engine.rank * world.dim);
    const resumed = SonaEngine.fromState(state);
    expect(bitsOfState(resumed.state())).toEqual(bitsOfState(state));
    const probe = { ...world.pool[0]!, type: 'never-seen' };
    expect(resumed.choose(probe, { explore: false })).toEqual(
      engine.choose(probe, { explore: false }),
    );
    // An unseen type uses the shared `other` head and changes nothing.
    expect(bitsOfState(engine.state())).toEqual(bitsOfState(state));
  });
});

describe('SonaEngine through @sona/checkpoint', () => {
  it.each(versions)(
    '%s: save → load → resume continues bit-identically; the checkpoint verifies',
    async (version) => {
      const { createCheckpoint, loadCheckpoint, saveCheckpoint, verifyCheckpoint } = await import(
        '@sona/checkpoint'
      );
      const { mkdtempSync } = await import('node:fs');
      const { tmpdir } = await import('node:os');
      const { join } = await import('node:path');
      const world = toyWorld(8, { tasks: 60 });
      const engine = new SonaEngine({
        version,
        dim: world.dim,
        arms: world.armNames,
        modelParamsB: 3.8,
        rng: createRng(5),
        epochs: 4,
      });
      train(engine, world, 2, 25, 6);
      const file = join(mkdtempSync(join(tmpdir(), 'sona-engine-')), 'engine.json');
      await saveCheckpoint(
        file,
        createCheckpoint(
          engine.toCheckpointRecord({ model: { name: 'toy', sizeBillions: 3.8 }, seed: 5 }),
        ),
      );
      expect((await verifyCheckpoint(file)).ok).toBe(true);
      const resumed = SonaEngine.fromCheckpoint(await loadCheckpoint(file));
      expect(train(resumed, world, 2, 25, 7)).toEqual(train(engine, world, 2, 25, 7));
      expect(bitsOfState(resumed.state())).toEqual(bitsOfState(engine.state()));
    },
  );

  it('refuses a checkpoint whose SPEC fields disagree with its engine state', async () => {
    const { createCheckpoint } = await import('@sona/checkpoint');
    const world = toyWorld(8, { tasks: 60 });
    const engine = new SonaEngine({
      version: 'v2',
      dim: world.dim,
      arms: world.armNames,
      modelParamsB: 7,
      rng: createRng(5),
      epochs: 2,
    });
    train(engine, world, 1, 25, 6);
    const content = engine.toCheckpointRecord({ model: { name: 'toy', sizeBillions: 7 }, seed: 5 });
    const A = content.loraWeights!.A.slice();
    A[0] = A[0]! + 1;
    const tampered = createCheckpoint({ ...content, loraWeights: { ...content.loraWeights!, A } });
    expectSonaError(() => SonaEngine.fromCheckpoint(tampered), 'INVALID_STATE');
  });
});
