import { createRng, type Outcome, type Rng, type Task } from '@sona/core';
import type { Mode } from '@sona/engine';
import { POOL_SIZES, PROTOCOL } from '../protocol/modes';
import { SIMULATED_WORLD_PARAMETERS } from '../simulated/parameters';
import { type ProfileSet, profileSet } from '../simulated/profiles';
import { type ModelWorld, SimulatedWorld } from '../simulated/world';
import { stratifiedFolds, stratifiedSample } from '../stats/split';
import type { Environment, FoldSplit, SplitPlan, Subject } from './environment';

export interface SimulatedEnvironmentSpec {
  readonly kind: 'simulated';
  /** A profile set by name (`reference-small`, `swe-verified`) or a set of your own. */
  readonly profiles: string | ProfileSet;
}

/** What a simulated result says about its environment. */
export interface SimulatedEnvironmentInfo {
  readonly kind: 'simulated';
  readonly simulated: true;
  readonly description: string;
  readonly poolSize: number;
  readonly clusters: number;
  readonly parameters: unknown;
  readonly profileSet: string;
  readonly profiles: readonly {
    readonly name: string;
    readonly paramsB: number;
    /** Input of the profile, not a measurement. */
    readonly targetBaseRate: number;
    /** κ found by bisection so a uniformly random arm reaches `targetBaseRate`. */
    readonly kappa: number;
  }[];
}

/**
 * The SPEC's simulated environment: a seeded world, one subject per model profile (the same
 * tasks, κ calibrated per model), a stratified (type × bucket) 10% holdout and 5 folds of the rest:
 * for fold f, test = fold f, valid = fold f + 1, train = the other three (60/20/20).
 */
export class SimulatedEnvironment implements Environment {
  readonly kind = 'simulated';
  readonly simulated = true;
  readonly hasCost = false;
  readonly world: SimulatedWorld;
  readonly profileSet: ProfileSet;
  readonly models: readonly ModelWorld[];
  readonly root: Rng;
  readonly plan: SplitPlan;
  readonly subjects: readonly Subject[];

  constructor(spec: SimulatedEnvironmentSpec, seed: number, mode: Mode) {
    const root = createRng(seed);
    this.root = root;
    this.world = new SimulatedWorld({ rng: root.fork('world'), poolSize: POOL_SIZES[mode] });
    this.profileSet = profileSet(spec.profiles);
    this.models = this.profileSet.models.map((m) => this.world.forModel(m));
    this.subjects = this.profileSet.models.map((m) => ({
      name: m.name,
      paramsB: m.paramsB,
      stream: m.name,
    }));
    const splitRng = root.fork('splits');
    const { selected: holdout, rest } = stratifiedSample(
      this.world.strata,
      PROTOCOL.holdoutFraction,
      splitRng.fork('holdout'),
    );
    const restStrata = Int32Array.from(rest, (i) => this.world.strata[i]!);
    const foldOf = stratifiedFolds(restStrata, PROTOCOL.folds, splitRng.fork('folds'));
    const folds: FoldSplit[] = [];
    for (let f = 0; f < PROTOCOL.folds; f++) {
      const validFold = (f + 1) % PROTOCOL.folds;
      const train: number[] = [];
      const valid: number[] = [];
      const test: number[] = [];
      for (let j = 0; j < rest.length; j++) {
        const fold = foldOf[j]!;
        (fold === f ? test : fold === validFold ? valid : train).push(rest[j]!);
      }
      folds.push({
        train: Int32Array.from(train),
        valid: Int32Array.from(valid),
        test: Int32Array.from(test),
      });
    }
    this.plan = { folds, holdout };
  }

  get arms() {
    return this.world.arms;
  }

  get dim() {
    return this.world.dim;
  }

  get taskIds() {
    return this.world.taskIds;
  }

  get taskTypes() {
    return this.world.taskTypes;
  }

  materializeTasks(): Task[] {
    return this.world.materializeTasks();
  }

  offered(): null {
    return null;
  }

  success(subject: number, task: number, arm: number): number {
    return this.models[subject]!.successProbability(task, arm);
  }

  cost(): number {
    return 0;
  }

  attempt(subject: number, task: number, arm: number, rng: Rng): Outcome {
    return this.models[subject]!.attempt(task, arm, rng);
  }

  info(): SimulatedEnvironmentInfo {
    return {
      kind: 'simulated',
      simulated: true,
      description:
        'SIMULATED: a seeded world of latent task clusters with hidden arm effects; success is ' +
        'Bernoulli with p = σ(κ_model + effect(cluster, arm) − δ·difficulty), κ calibrated so a ' +
        'random arm reaches the profile base rate. Rates are exact expected success on held-out tasks.',
      poolSize: this.world.poolSize,
      clusters: this.world.clusterCount,
      parameters: JSON.parse(JSON.stringify(SIMULATED_WORLD_PARAMETERS)),
      profileSet: this.profileSet.name,
      profiles: this.models.map((model) => ({
        name: model.profile.name,
        paramsB: model.profile.paramsB,
        targetBaseRate: model.profile.baseRate,
        kappa: model.kappa,
      })),
    };
  }
}
