import type { LearnerFactory } from '../learner';

/**
 * The SONA engine as the v1/v2/v3 learner: the one place @sona/engine is wired in.
 *
 * @sona/engine has not landed on this branch yet, so there is no factory: the CLI says so and
 * offers the `random` baseline instead. Integration replaces this with
 * `(args) => new SonaEngine(args)`.
 */
export const sonaLearnerFactory: LearnerFactory | null = null;
