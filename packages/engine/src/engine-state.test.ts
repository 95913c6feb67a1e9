import { createRng, isSonaError, type Task } from '@sona/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeStateLaws } from '../../../tools/testing/state-laws';
import { toyWorld } from '../test/toy-world';
import { SonaEngine } from './engine';
import type { EngineState } from './state';

const world = toyWorld(21, { tasks: 40 });

/** A v3 engine after `epochs` short epochs on the toy world (and `extra` records into the next). */
function trained(epochs: number, extra = 0, version: 'v1' | 'v2' | 'v3' = 'v3'): SonaEngine {
  const engine = new SonaEngine({
    version,
    dim: world.dim,
    arms: world.armNames,
    modelParamsB: 3,
    rng: createRng(8),
    epochs: 4,
  });
  const outcomes = createRng(9);
  const step = () => {
    const task = engine.pickTask(world.pool);
    const { arm } = engine.choose(task);
    engine.record(task, arm, world.attempt(task, arm, outcomes));
  };
  for (let e = 0; e < epochs; e++) {
    for (let i = 0; i < 15; i++) step();
    engine.endEpoch();
  }
  for (let i = 0; i < extra; i++) step();
  return engine;
}

/** A comparable rendering of plain data: Float32Arrays by their bits. */
function bitsOf(state: unknown): string {
  return JSON.stringify(state, (_key, value) =>
    value instanceof Float32Array ? Array.from(new Uint32Array(value.slice().buffer)) : value,
  );
}

const task = world.pool[0]!;
const embedding = (fill: number) => new Float32Array(world.dim).fill(fill);

/** Inputs every call must refuse; each is tried on choose, record and calibrate. */
const badTasks: [string, unknown][] = [
  ['null', null],
  ['a string', 'task'],
  ['no id', { ...task, id: undefined }],
  ['an empty type', { ...task, type: '' }],
  ['a type of 257 characters', { ...task, type: 'x'.repeat(257) }],
  ['difficulty 1.5', { ...task, difficulty: 1.5 }],
  ['difficulty NaN', { ...task, difficulty: Number.NaN }],
  ['a short embedding', { ...task, embedding: new Float32Array(world.dim - 1) }],
  ['a plain array', { ...task, embedding: Array.from(task.embedding) }],
  [
    'a NaN component',
    { ...task, embedding: Float32Array.from(task.embedding, (v, i) => (i === 3 ? Number.NaN : v)) },
  ],
  ['an infinite component', { ...task, embedding: embedding(Number.POSITIVE_INFINITY) }],
  ['all subnormal', { ...task, embedding: embedding(1e-45) }],
  ['all zero', { ...task, embedding: embedding(0) }],
];
const badOutcomes: [string, unknown][] = [
  ['null', null],
  ['success "yes"', { success: 'yes' }],
  ['quality 2', { success: true, quality: 2 }],
  ['quality NaN', { success: true, quality: Number.NaN }],
];

describe('every call that throws leaves the engine exactly as it was (issue 15, item 7)', () => {
  const calls: [string, (e: SonaEngine) => unknown][] = [
    ...badTasks.flatMap(([name, t]): [string, (e: SonaEngine) => unknown][] => [
      [`choose(${name})`, (e) => e.choose(t as Task)],
      [`record(${name})`, (e) => e.record(t as Task, 'arm0', { success: true })],
      [
        `calibrate([${name}])`,
        (e) => e.calibrate([{ task: t as Task, arm: 'arm0', outcome: { success: true } }]),
      ],
    ]),
    ...badOutcomes.map(([name, o]): [string, (e: SonaEngine) => unknown] => [
      `record(task, arm0, ${name})`,
      (e) => e.record(task, 'arm0', o as never),
    ]),
    ['record with an unknown arm', (e) => e.record(task, 'nope', { success: true })],
    ['choose with options null', (e) => e.choose(task, null as never)],
    ['choose with no arms', (e) => e.choose(task, { arms: [] })],
    ['choose with an unknown arm', (e) => e.choose(task, { arms: ['nope'] })],
    ['pickTask([null])', (e) => e.pickTask([null as never])],
    ['pickTask([])', (e) => e.pickTask([])],
    ['pickTask(null)', (e) => e.pickTask(null as never)],
    ['calibrate(null)', (e) => e.calibrate(null as never)],
  ];

  it.each(calls)('%s: a SonaError, and state() unchanged bit for bit', (_name, call) => {
    const engine = trained(1, 5);
    const before = bitsOf(engine.state());
    let caught: unknown;
    try {
      call(engine);
    } catch (error) {
      caught = error;
    }
    expect(isSonaError(caught)).toBe(true);
    expect(bitsOf(engine.state())).toBe(before);
    // And it goes on working.
    const { arm } = engine.choose(task);
    engine.record(task, arm, { success: true });
    engine.endEpoch();
  });

  it('v2 refuses subnormal embeddings up front too (no poisoned state)', () => {
    const engine = trained(1, 0, 'v2');
    const before = bitsOf(engine.state());
    expect(() =>
      engine.record({ ...task, embedding: embedding(1e-45) }, 'arm0', { success: true }),
    ).toThrow();
    expect(bitsOf(engine.state())).toBe(before);
    for (let i = 0; i < 30; i++)
      engine.record(world.pool[i % 40]!, 'arm1', { success: i % 2 === 0 });
    engine.endEpoch();
  });
});

/** Every path of plain data to a replaceable leaf or array. */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (value instanceof Float32Array) return [prefix];
  if (Array.isArray(value)) return [prefix, ...value.flatMap((v, i) => paths(v, [...prefix, i]))];
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => paths(v, [...prefix, k]));
  }
  return [prefix];
}

function mutated(state: EngineState, path: (string | number)[], replacement: unknown): unknown {
  const copy = structuredClone(state) as unknown as Record<string | number, unknown>;
  if (path.length === 0) return replacement;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  node[last] =
    typeof replacement === 'function'
      ? (replacement as (v: unknown) => unknown)(node[last])
      : replacement;
  return copy;
}

const replacementArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    null,
    undefined,
    true,
    'x',
    '',
    -1,
    0,
    1,
    1.5,
    1e308,
    -1e308,
    Number.NaN,
    2 ** 31,
  ),
  fc.constant((v: unknown) => (typeof v === 'number' ? v + 1 : v)),
  fc.constant((v: unknown) => (typeof v === 'number' ? -v - 1 : v)),
  fc.constant((v: unknown) => (Array.isArray(v) ? v.slice(1) : v)),
  fc.constant((v: unknown) => (Array.isArray(v) ? [...v, ...v.slice(0, 1)] : v)),
  fc.constant((v: unknown) => (v instanceof Float32Array ? v.slice(1) : v)),
  fc.constant((v: unknown) =>
    v instanceof Float32Array ? Float32Array.from(v, (x, i) => (i === 0 ? Number.NaN : x)) : v,
  ),
  fc.constant((v: unknown) => (v instanceof Float32Array ? new Float32Array(v.length) : v)),
);

describe('state formats', () => {
  it('resumes a format-2 state (EWC++ state without its kind tag) exactly as the format-3 one', () => {
    const engine = trained(2, 4);
    const state = engine.state();
    expect(state.formatVersion).toBe(3);
    expect(state.ewc?.kind).toBe('ewc');
    const { kind: _kind, ...ewc } = state.ewc!;
    const older = { ...state, formatVersion: 2, ewc } as unknown as EngineState;
    const a = SonaEngine.fromState(state);
    const b = SonaEngine.fromState(older);
    expect(bitsOf(b.state())).toBe(bitsOf(a.state()));
    for (const e of [a, b]) {
      const { arm } = e.choose(task);
      e.record(task, arm, { success: true });
      e.endEpoch();
    }
    expect(bitsOf(b.state())).toBe(bitsOf(a.state()));
    expect(() =>
      SonaEngine.fromState({ ...state, formatVersion: 1 } as unknown as EngineState),
    ).toThrow(/resumes formats 2 and 3/);
  });
});

describe('a state is either refused by fromState or fully usable (issue 15, item 8)', () => {
  it('refuses an adapter α other than the rank, and heads that do not start with the shared one', () => {
    const state = trained(2, 4).state();
    for (const [path, value] of [
      [['adapter', 'alpha'], 1e308],
      [['adapter', 'alpha'], state.adapter.alpha * 2],
      [['adapter', 'types', 0], 'x'],
    ] as const) {
      let caught: unknown;
      try {
        SonaEngine.fromState(mutated(state, [...path], value) as EngineState);
      } catch (error) {
        caught = error;
      }
      expect(isSonaError(caught) && caught.code).toBe('INVALID_STATE');
    }
  });

  for (const [label, engine] of [
    ['mid-epoch v3', trained(2, 4)],
    ['v2 after an epoch', trained(1, 0, 'v2')],
    ['fresh v1', trained(0, 3, 'v1')],
  ] as const) {
    const state = engine.state();
    const all = paths(state);
    it(`${label}: a mutated state throws a SonaError or runs choose, record and endEpoch`, () => {
      fc.assert(
        fc.property(fc.nat({ max: all.length - 1 }), replacementArb, (at, replacement) => {
          const candidate = mutated(state, all[at]!, replacement);
          let restored: SonaEngine;
          try {
            restored = SonaEngine.fromState(candidate as EngineState);
          } catch (error) {
            expect(isSonaError(error)).toBe(true);
            return;
          }
          const outcomes = createRng(4);
          for (let i = 0; i < 8; i++) {
            const t = restored.pickTask(world.pool);
            const { arm } = restored.choose(t);
            restored.record(t, arm, world.attempt(t, arm, outcomes));
          }
          restored.endEpoch();
          restored.choose(task, { explore: false });
          // A state it accepted round-trips.
          expect(bitsOf(SonaEngine.fromState(restored.state()).state())).toBe(
            bitsOf(restored.state()),
          );
        }),
        { numRuns: 120 },
      );
    });
  }
});

describeStateLaws('SonaEngine', {
  recipe: fc.tuple(
    fc.integer({ min: 0, max: 3 }),
    fc.integer({ min: 0, max: 10 }),
    fc.constantFrom('v1' as const, 'v2' as const, 'v3' as const),
  ),
  build: ([epochs, extra, version]) => trained(epochs, extra, version),
  state: (engine) => engine.state(),
  fromState: (state) => SonaEngine.fromState(state),
  kind: 'sona-engine',
  copies: true,
  continuation: {
    input: () => fc.nat(),
    run: (engine, seed) => {
      const outcomes = createRng(seed);
      const steps: string[] = [];
      for (let i = 0; i < 12; i++) {
        const task = engine.pickTask(world.pool);
        const { arm } = engine.choose(task);
        const t = engine.record(task, arm, world.attempt(task, arm, outcomes));
        steps.push(`${t.arm}:${t.confidence}:${t.tdError}`);
      }
      return [steps, engine.endEpoch()];
    },
  },
  numRuns: 10,
});
