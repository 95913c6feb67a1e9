import { SonaError } from '@sona/core';

/**
 * A model as the simulated world sees it: a size and the success rate a uniformly random arm
 * should reach (the rate κ is calibrated to). Base rates are inputs taken from the documents
 * the profiles are named after; they are not results of ours.
 */
export interface ModelProfile {
  readonly name: string;
  /** Billions of (activated) parameters. */
  readonly paramsB: number;
  /** Target success rate of a uniformly random arm, 0..1 (an input, not a measurement). */
  readonly baseRate: number;
}

export interface ProfileSet {
  readonly name: string;
  readonly description: string;
  readonly models: readonly ModelProfile[];
}

/** The six models of the SPEC with the base rates of the reference report. */
export const REFERENCE_SMALL: ProfileSet = {
  name: 'reference-small',
  description:
    "The SPEC's six small coding models; base rates are the reference report's initial rates (inputs).",
  models: [
    { name: 'Qwen2.5-Coder-7B', paramsB: 7, baseRate: 0.352 },
    { name: 'CodeLlama-7B', paramsB: 7, baseRate: 0.338 },
    { name: 'Phi-3-mini-4k', paramsB: 3.8, baseRate: 0.284 },
    { name: 'StarCoder2-3B', paramsB: 3, baseRate: 0.246 },
    { name: 'Qwen2.5-Coder-1.5B', paramsB: 1.5, baseRate: 0.182 },
    { name: 'DeepSeek-Coder-1.3B', paramsB: 1.3, baseRate: 0.158 },
  ],
};

/**
 * The fourteen systems of the "SWE-Bench Verified vs activated model size" chart, with their
 * published scores as base rates (inputs). Sizes are read off the chart's x axis, whose ticks are
 * 3, 7, 32 and 70 B: the four ~3B points (mixture-of-experts models activate ~3B), 7B, 8B (just
 * right of the 7 tick), the six at 32B and the two at 70B.
 */
export const SWE_VERIFIED: ProfileSet = {
  name: 'swe-verified',
  description:
    'The fourteen systems of the SWE-Bench Verified vs activated size chart; base rates are their published scores (inputs).',
  models: [
    { name: 'Scale-SWE', paramsB: 3, baseRate: 0.64 },
    { name: 'GLM-4.7-Flash', paramsB: 3, baseRate: 0.592 },
    { name: 'Qwen3-Coder-30A3B', paramsB: 3, baseRate: 0.522 },
    { name: 'Qwen3-30A3B-Instruct', paramsB: 3, baseRate: 0.22 },
    { name: 'SWE-Mirror-7B', paramsB: 7, baseRate: 0.228 },
    { name: 'SWE-Lego-8B', paramsB: 8, baseRate: 0.422 },
    { name: 'SWE-smith', paramsB: 32, baseRate: 0.402 },
    { name: 'R2E-Gym', paramsB: 32, baseRate: 0.344 },
    { name: 'SWE-Gym', paramsB: 32, baseRate: 0.206 },
    { name: 'KAT-Dev-32B', paramsB: 32, baseRate: 0.624 },
    { name: 'SWE-Lego-32B', paramsB: 32, baseRate: 0.526 },
    { name: 'SWE-Mirror-32B', paramsB: 32, baseRate: 0.522 },
    { name: 'Llama3-SWE-RL', paramsB: 70, baseRate: 0.41 },
    { name: 'SWE-Fixer', paramsB: 70, baseRate: 0.328 },
  ],
};

export const PROFILE_SETS: Readonly<Record<string, ProfileSet>> = {
  [REFERENCE_SMALL.name]: REFERENCE_SMALL,
  [SWE_VERIFIED.name]: SWE_VERIFIED,
};

export const DEFAULT_PROFILE_SET = REFERENCE_SMALL.name;

/**
 * A profile set by name (`reference-small`, `swe-verified`), or a set of your own, checked:
 * a name, at least one model, unique model names, sizes > 0 and base rates in (0, 1).
 */
export function profileSet(profiles: string | ProfileSet): ProfileSet {
  if (typeof profiles === 'string') {
    const set = Object.hasOwn(PROFILE_SETS, profiles) ? PROFILE_SETS[profiles] : undefined;
    if (set === undefined) {
      throw new SonaError(
        'INVALID_ARGUMENT',
        `unknown profile set '${profiles}' (known: ${Object.keys(PROFILE_SETS).join(', ')})`,
        { path: 'profiles' },
      );
    }
    return set;
  }
  const fail = (message: string, path = 'profiles'): never => {
    throw new SonaError('INVALID_ARGUMENT', message, { path });
  };
  if (profiles === null || typeof profiles !== 'object') fail('profiles must be a name or a set');
  if (typeof profiles.name !== 'string' || profiles.name === '') fail('a profile set needs a name');
  if (!Array.isArray(profiles.models) || profiles.models.length === 0) {
    fail('a profile set needs at least one model', 'profiles.models');
  }
  const names = new Set<string>();
  profiles.models.forEach((m, i) => {
    const path = `profiles.models[${i}]`;
    if (m === null || typeof m !== 'object') fail('a model profile must be an object', path);
    if (typeof m.name !== 'string' || m.name === '' || names.has(m.name)) {
      fail('model names must be unique, non-empty strings', `${path}.name`);
    }
    names.add(m.name);
    if (!(typeof m.paramsB === 'number' && m.paramsB > 0 && Number.isFinite(m.paramsB))) {
      fail(`paramsB must be a positive number, got ${m.paramsB}`, `${path}.paramsB`);
    }
    if (!(typeof m.baseRate === 'number' && m.baseRate > 0 && m.baseRate < 1)) {
      fail(`baseRate must lie in (0, 1), got ${m.baseRate}`, `${path}.baseRate`);
    }
  });
  return {
    name: profiles.name,
    description: typeof profiles.description === 'string' ? profiles.description : '',
    models: profiles.models.map((m) => ({
      name: m.name,
      paramsB: m.paramsB,
      baseRate: m.baseRate,
    })),
  };
}
