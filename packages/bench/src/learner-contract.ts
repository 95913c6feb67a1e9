import { createRng, type Task, type Version } from '@sona/core';
import type { Learner, LearnerFactory } from './learner';
import { SimulatedWorld } from './simulated/world';

export interface ContractCheckOptions {
  readonly version?: Version;
  readonly seed?: number;
  readonly epochs?: number;
  readonly tasksPerEpoch?: number;
  readonly overrides?: Readonly<Record<string, unknown>>;
}

/**
 * Drives a learner through a short training run on a small simulated world and lists every way
 * it breaks the `Learner` contract the benchmark relies on (empty when it keeps it):
 * valid choices (an arm of the list, confidence in 0..1, one finite Float32 score per arm),
 * choices among the offered arms only when `options.arms` is given,
 * greedy evaluation that changes no state and repeats itself, trajectories that match the
 * attempt (TD error = outcome − confidence), `pickTask` returning a candidate, epochs counted
 * from 1 with finite summaries, `state()` made of plain data, and the same seed giving the same
 * run (choices, summaries and `stats()`: they are part of the hashed result).
 */
export function checkLearnerContract(
  factory: LearnerFactory,
  options: ContractCheckOptions = {},
): string[] {
  const problems: string[] = [];
  const seed = options.seed ?? 1;
  const epochs = options.epochs ?? 2;
  const perEpoch = options.tasksPerEpoch ?? 20;
  const world = new SimulatedWorld({ rng: createRng(seed).fork('contract-world'), poolSize: 120 });
  const model = world.forModel({ name: 'contract', paramsB: 3, baseRate: 0.3 });
  const make = (): Learner =>
    factory({
      version: options.version ?? 'v3',
      dim: world.dim,
      arms: world.arms,
      modelParamsB: 3,
      rng: createRng(seed).fork('contract-learner'),
      epochs,
      ...(options.overrides === undefined ? {} : { overrides: options.overrides }),
    });

  const trace = (learner: Learner, tasks: Task[], record: boolean): string[] => {
    const log: string[] = [];
    const attempts = createRng(seed).fork('contract-attempts');
    for (let epoch = 1; epoch <= epochs; epoch++) {
      const candidates = tasks.slice(0, 100);
      for (let t = 0; t < perEpoch; t++) {
        const task = learner.pickTask(candidates);
        if (!candidates.includes(task)) {
          if (record) problems.push('pickTask returned a task that is not one of the candidates');
          return log;
        }
        candidates.splice(candidates.indexOf(task), 1);
        // Every other attempt offers only some arms, as a replayed task that logged only those.
        const offered = t % 2 === 1 ? world.arms.filter((_, a) => a % 2 === 1) : undefined;
        const choice = learner.choose(task, offered === undefined ? undefined : { arms: offered });
        const armIndex = world.arms.indexOf(choice?.arm);
        if (record) {
          checkChoice(choice, world.arms, `choose(${task.id})`, problems);
          checkOffered(choice, offered, `choose(${task.id}, { arms })`, problems);
        }
        if (armIndex < 0) return log;
        const outcome = model.attempt(tasks.indexOf(task), armIndex, attempts);
        const trajectory = learner.record(task, choice.arm, outcome);
        log.push(`${task.id}:${choice.arm}:${choice.confidence}:${outcome.success}`);
        if (record) {
          const expectedTd = (outcome.success ? 1 : 0) - trajectory?.confidence;
          if (
            trajectory === null ||
            typeof trajectory !== 'object' ||
            trajectory.taskId !== task.id ||
            trajectory.arm !== choice.arm ||
            trajectory.success !== outcome.success ||
            trajectory.quality !== outcome.quality ||
            !(Math.abs(trajectory.tdError - expectedTd) <= 1e-6)
          ) {
            problems.push(
              `record(${task.id}) returned a trajectory that does not match the attempt ` +
                '(taskId, arm, success, quality, tdError = outcome − confidence)',
            );
          }
        }
      }
      const summary = learner.endEpoch();
      log.push(JSON.stringify(summary));
      log.push(JSON.stringify(learner.stats()));
      if (record) {
        if (summary?.epoch !== epoch) {
          problems.push(`endEpoch() reported epoch ${summary?.epoch}, expected ${epoch}`);
        }
        for (const key of ['attempts', 'successRate', 'meanConfidence'] as const) {
          if (!Number.isFinite(summary?.[key]))
            problems.push(`endEpoch().${key} is not a finite number`);
        }
        checkGreedy(learner, tasks.slice(100), world.arms, problems);
      }
    }
    return log;
  };

  const first = trace(make(), world.materializeTasks(), true);
  const second = trace(make(), world.materializeTasks(), false);
  if (first.join('\n') !== second.join('\n')) {
    problems.push(
      'two learners from the same seed made different choices, summaries or stats on the same run',
    );
  }
  return problems;
}

function checkChoice(
  choice: unknown,
  arms: readonly string[],
  where: string,
  problems: string[],
): void {
  const c = choice as { arm?: unknown; confidence?: unknown; scores?: unknown } | null;
  if (c === null || typeof c !== 'object') {
    problems.push(`${where} did not return an object`);
    return;
  }
  if (typeof c.arm !== 'string' || !arms.includes(c.arm)) {
    problems.push(`${where} returned an arm not in the list`);
  }
  if (typeof c.confidence !== 'number' || !(c.confidence >= 0 && c.confidence <= 1)) {
    problems.push(`${where} returned confidence ${String(c.confidence)}, not in 0..1`);
  }
  if (!(c.scores instanceof Float32Array) || c.scores.length !== arms.length) {
    problems.push(`${where} must return a Float32Array of one score per arm`);
  } else if (c.scores.some((s) => !Number.isFinite(s))) {
    problems.push(`${where} returned a non-finite score`);
  }
}

function checkOffered(
  choice: unknown,
  offered: readonly string[] | undefined,
  where: string,
  problems: string[],
): void {
  if (offered === undefined) return;
  const arm = (choice as { arm?: unknown } | null)?.arm;
  const message = `${where} picked an arm the task does not offer (options.arms ignored)`;
  if (!offered.includes(arm as string) && !problems.includes(message)) problems.push(message);
}

function checkGreedy(
  learner: Learner,
  tasks: readonly Task[],
  arms: readonly string[],
  problems: string[],
): void {
  const before = learner.state();
  const plain = plainDataProblem(before, 'state()');
  if (plain !== undefined && !problems.includes(plain)) problems.push(plain);
  for (const task of tasks.slice(0, 10)) {
    const a = learner.choose(task, { explore: false });
    const b = learner.choose(task, { explore: false });
    checkChoice(a, arms, `choose(${task.id}, { explore: false })`, problems);
    if (a?.arm !== b?.arm || a?.confidence !== b?.confidence) {
      problems.push(`greedy choose(${task.id}) gave different answers on two calls`);
      break;
    }
    const offered = [arms[arms.length - 1]!, arms[0]!];
    const c = learner.choose(task, { explore: false, arms: offered });
    checkOffered(c, offered, `choose(${task.id}, { explore: false, arms })`, problems);
  }
  if (!plainEqual(before, learner.state())) {
    const message = 'choose(task, { explore: false }) changed the learner state';
    if (!problems.includes(message)) problems.push(message);
  }
}

/** The first place a value is not plain data (objects, arrays, strings, finite numbers, booleans, null, Float32Array). */
function plainDataProblem(value: unknown, path: string): string | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return undefined;
  if (typeof value === 'number') {
    return Number.isFinite(value) ? undefined : `${path} holds a non-finite number`;
  }
  if (value instanceof Float32Array) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const p = plainDataProblem(value[i], `${path}[${i}]`);
      if (p !== undefined) return p;
    }
    return undefined;
  }
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const [k, v] of Object.entries(value)) {
      const p = plainDataProblem(v, `${path}.${k}`);
      if (p !== undefined) return p;
    }
    return undefined;
  }
  return `${path} holds a ${typeof value === 'object' ? ((value as object).constructor?.name ?? 'object') : typeof value}, not plain data`;
}

/** Deep equality of plain data; Float32Arrays compared bit for bit. */
export function plainEqual(a: unknown, b: unknown): boolean {
  if (a instanceof Float32Array || b instanceof Float32Array) {
    if (!(a instanceof Float32Array && b instanceof Float32Array) || a.length !== b.length)
      return false;
    const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
    const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
    for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) return false;
    return true;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!(Array.isArray(a) && Array.isArray(b)) || a.length !== b.length) return false;
    return a.every((x, i) => plainEqual(x, b[i]));
  }
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    if (ka.length !== kb.length || ka.some((k, i) => k !== kb[i])) return false;
    return ka.every((k) =>
      plainEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
    );
  }
  return Object.is(a, b);
}
