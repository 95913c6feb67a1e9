import { createRng } from '@sona/core';
import { EWC_DECAY, EWC_LAMBDA, Ewc } from '../src/index';
import { LogisticModel } from './logistic';
import { type Interval, tInterval } from './stats';
import {
  DEFAULT_TASK_OPTIONS,
  makeConflictingTasks,
  type TaskData,
  type TaskOptions,
} from './tasks';

/**
 * Does EWC++ prevent forgetting? Logistic regression learns task A, then task B
 * (which conflicts with A on shared weights, see tasks.ts), once without EWC and
 * once per λ with EWC++ (Fisher from A's per-example gradients, anchor at the end
 * of A). Reports accuracy on A's and B's held-out test sets over several seeds,
 * with 95% Student-t intervals over seeds and paired differences against no EWC.
 */

export const EXPERIMENT = {
  seeds: 10,
  lr: 0.001,
  epochsA: 30,
  epochsB: 30,
  lambdas: [1, 3, 10, 100, EWC_LAMBDA.v3, EWC_LAMBDA.v1],
  scenarios: [
    {
      name: 'shared features matter to A, little to B (B shared-feature sd 0.3)',
      tasks: { ...DEFAULT_TASK_OPTIONS, sharedScaleB: 0.3 },
    },
    {
      name: 'shared features matter equally to A and B (B shared-feature sd 1)',
      tasks: { ...DEFAULT_TASK_OPTIONS, sharedScaleB: 1 },
    },
  ],
} as const;

interface SeedResult {
  readonly accAAfterA: number;
  readonly accBAfterA: number;
  /** per arm: accuracy on A and on B after training on B */
  readonly arms: ReadonlyMap<string, { readonly a: number; readonly b: number }>;
  readonly joint: { readonly a: number; readonly b: number };
}

function concat(x: TaskData, y: TaskData): TaskData {
  const inputs = new Float32Array(x.inputs.length + y.inputs.length);
  inputs.set(x.inputs);
  inputs.set(y.inputs, x.inputs.length);
  const labels = new Uint8Array(x.n + y.n);
  labels.set(x.labels);
  labels.set(y.labels, x.n);
  return { inputs, labels, n: x.n + y.n, dim: x.dim };
}

function runSeed(seed: number, taskOptions: TaskOptions): SeedResult {
  const rng = createRng(seed);
  const tasks = makeConflictingTasks(rng.fork('tasks'), taskOptions);
  const { lr, epochsA, epochsB } = EXPERIMENT;

  // Task A; its last epoch's per-example gradients feed the online Fisher estimate.
  const model = new LogisticModel(tasks.dim);
  const fisher = new Ewc({ size: model.params.length, lambda: 1, decay: EWC_DECAY });
  const orderA = rng.fork('order/a');
  for (let epoch = 0; epoch < epochsA; epoch++) {
    model.sgdEpoch(tasks.a.train, lr, orderA, epoch === epochsA - 1 ? { fisher } : {});
  }
  fisher.consolidate(model.params);
  const afterA = model.params.slice();
  const accAAfterA = model.accuracy(tasks.a.test);
  const accBAfterA = model.accuracy(tasks.b.test);

  // Task B from the same start, with the same example order, for every arm (paired).
  const arms = new Map<string, { a: number; b: number }>();
  for (const lambda of [0, ...EXPERIMENT.lambdas]) {
    model.params.set(afterA);
    const ewc = lambda === 0 ? undefined : Ewc.fromState({ ...fisher.state(), lambda });
    const orderB = rng.fork('order/b');
    for (let epoch = 0; epoch < epochsB; epoch++) {
      model.sgdEpoch(tasks.b.train, lr, orderB, ewc ? { ewc } : {});
    }
    arms.set(lambda === 0 ? 'no EWC' : `EWC++ λ=${lambda}`, {
      a: model.accuracy(tasks.a.test),
      b: model.accuracy(tasks.b.test),
    });
  }

  // Reference: both tasks' data at once (what a model that could see A and B together reaches).
  const joint = new LogisticModel(tasks.dim);
  const both = concat(tasks.a.train, tasks.b.train);
  const orderJoint = rng.fork('order/joint');
  for (let epoch = 0; epoch < epochsA + epochsB; epoch++) joint.sgdEpoch(both, lr, orderJoint);

  return {
    accAAfterA,
    accBAfterA,
    arms,
    joint: { a: joint.accuracy(tasks.a.test), b: joint.accuracy(tasks.b.test) },
  };
}

function pct(value: number): string {
  return (100 * value).toFixed(1).padStart(5);
}

function formatInterval(interval: Interval, signed = false): string {
  const sign = signed && interval.mean >= 0 ? '+' : '';
  const low = (100 * interval.low).toFixed(1);
  const high = (100 * interval.high).toFixed(1);
  return `${sign}${pct(interval.mean).trim()} [${low}, ${high}]`.padEnd(22);
}

function report(name: string, taskOptions: TaskOptions, seeds: readonly number[]): void {
  const results = seeds.map((seed) => runSeed(seed, taskOptions));
  console.log(`## ${name}`);
  console.log(
    `${''.padEnd(16)} ${'acc A'.padEnd(22)} ${'acc B'.padEnd(22)} ` +
      `${'Δ acc A vs no EWC'.padEnd(22)} Δ acc B vs no EWC`,
  );
  const a0 = tInterval(results.map((r) => r.accAAfterA));
  const b0 = tInterval(results.map((r) => r.accBAfterA));
  console.log(`${'after A only'.padEnd(16)} ${formatInterval(a0)} ${formatInterval(b0)}`.trimEnd());
  console.log('after A, then B:');
  for (const arm of results[0]!.arms.keys()) {
    const accA = results.map((r) => r.arms.get(arm)!.a);
    const accB = results.map((r) => r.arms.get(arm)!.b);
    const dA = results.map((r) => r.arms.get(arm)!.a - r.arms.get('no EWC')!.a);
    const dB = results.map((r) => r.arms.get(arm)!.b - r.arms.get('no EWC')!.b);
    const paired =
      arm === 'no EWC'
        ? ''
        : `${formatInterval(tInterval(dA), true)} ${formatInterval(tInterval(dB), true)}`;
    console.log(
      `${arm.padEnd(16)} ${formatInterval(tInterval(accA))} ${formatInterval(tInterval(accB))} ${paired}`.trimEnd(),
    );
  }
  const jointA = tInterval(results.map((r) => r.joint.a));
  const jointB = tInterval(results.map((r) => r.joint.b));
  console.log(
    `${'joint A+B (ref)'.padEnd(16)} ${formatInterval(jointA)} ${formatInterval(jointB)}`.trimEnd(),
  );
  console.log('');
}

function main(): void {
  const seeds = Array.from({ length: EXPERIMENT.seeds }, (_, i) => i + 1);
  const t = DEFAULT_TASK_OPTIONS;
  console.log('EWC++ forgetting experiment (@sona/ewc): logistic regression, float64 arithmetic');
  console.log(
    `tasks: ${t.privateDim} private features each + ${t.sharedDim} shared features with opposite ` +
      `meaning in A and B; ${t.trainSize} train / ${t.testSize} test examples per task; label sharpness ${t.sharpness}`,
  );
  console.log(
    `training: per-example SGD, lr ${EXPERIMENT.lr}, ${EXPERIMENT.epochsA} epochs on A, then ` +
      `${EXPERIMENT.epochsB} on B; EWC++ Fisher online (decay ${EWC_DECAY}) over A's last epoch, anchor after A`,
  );
  console.log(
    `seeds 1..${seeds.length}; held-out test accuracy in %: mean [95% Student-t interval over seeds]; ` +
      'Δ: paired differences per seed',
  );
  console.log('');
  for (const scenario of EXPERIMENT.scenarios) report(scenario.name, scenario.tasks, seeds);
}

main();
