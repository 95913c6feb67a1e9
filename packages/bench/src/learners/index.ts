// @sona/bench/learners: the built-in learners as classes and factories, with their defaults (by
// name, through `LEARNERS` and `resolveLearnerFactory` of the root export).
export { KNN_DEFAULTS, KnnLearner, knnLearner } from './knn';
export {
  LINEAR_DEFAULTS,
  LinTsLearner,
  LinUcbLearner,
  linTsLearner,
  linUcbLearner,
} from './linear';
export { UniformRandomLearner, uniformRandomLearner } from './random';
export { ThompsonLearner, thompsonLearner } from './thompson';
export { Ucb1Learner, ucb1Learner } from './ucb1';
