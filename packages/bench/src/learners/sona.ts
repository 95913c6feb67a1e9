import { SonaError } from '@sona/core';
import { type EngineOverrides, SonaEngine } from '@sona/engine';
import type { EpochSummary, Learner, LearnerFactory } from '../learner';
import type { AblationKey } from '../protocol/ablations';

/** What switching each ablation key off means for the engine (see `ABLATIONS`). */
const ENGINE_ABLATIONS: Readonly<Record<AblationKey, EngineOverrides>> = {
  multiHead: { lora: 'single' },
  curriculum: { curriculum: false, dda: false },
  per: { replay: 'uniform' },
  diversity: { diversity: false },
  contrastive: { contrastive: false },
  metaLr: { learningRate: 'fixed' },
  ewc: { ewcLambda: 0 },
};

function engineOverrides(
  overrides: Readonly<Record<string, unknown>> | undefined,
): EngineOverrides {
  let merged: EngineOverrides = {};
  for (const [key, value] of Object.entries(overrides ?? {})) {
    const mapped = (ENGINE_ABLATIONS as Record<string, EngineOverrides | undefined>)[key];
    if (mapped === undefined || value !== false) {
      throw new SonaError(
        'INVALID_ARGUMENT',
        `override ${key}=${String(value)} is not an ablation the engine knows`,
        {
          path: `overrides.${key}`,
        },
      );
    }
    merged = { ...merged, ...mapped };
  }
  return merged;
}

/** The SONA engine as the v1/v2/v3 learner: the one place @sona/engine is wired in. */
export const sonaLearnerFactory: LearnerFactory = (args) => {
  const engine = new SonaEngine({
    version: args.version,
    dim: args.dim,
    arms: args.arms,
    modelParamsB: args.modelParamsB,
    rng: args.rng,
    epochs: args.epochs,
    overrides: engineOverrides(args.overrides),
  });
  const learner: Learner & { engine: SonaEngine } = {
    engine,
    choose: (task, options) => engine.choose(task, options),
    record: (task, arm, outcome) => engine.record(task, arm, outcome),
    pickTask: (candidates) => engine.pickTask(candidates),
    endEpoch: (): EpochSummary => ({ ...engine.endEpoch() }),
    stats: () => {
      const { history: _history, ...scalars } = engine.stats();
      return scalars;
    },
    state: () => engine.state(),
    calibrate: (samples) => engine.calibrate(samples),
  };
  return learner;
};
