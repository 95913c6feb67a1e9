// @sona/bench/simulated: the simulated world itself (tasks, ground-truth success probabilities,
// its calibrated parameters), beneath `SimulatedEnvironment` of the root export.
export type { SimulatedWorldParameters } from './parameters';
export { SIMULATED_WORLD_PARAMETERS } from './parameters';
export type { SimulatedTask, SimulatedWorldOptions } from './world';
export { ModelWorld, SimulatedWorld, STRATA, stratumIndex } from './world';
