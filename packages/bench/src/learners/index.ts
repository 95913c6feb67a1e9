// @sona/bench/learners: the built-in learners as classes and factories, with their defaults (by
// name, through `LEARNERS` and `resolveLearnerFactory` of the root export), and the ridge
// regression the linear ones fit.
export { KNN_DEFAULTS, KnnLearner, knnLearner } from './knn';
export {
  LINEAR_DEFAULTS,
  LinTsLearner,
  LinUcbLearner,
  linTsLearner,
  linUcbLearner,
} from './linear';
export { RidgeModel } from './math/ridge';
export { UniformRandomLearner, uniformRandomLearner } from './random';
export { ThompsonLearner, thompsonLearner } from './thompson';
export { Ucb1Learner, ucb1Learner } from './ucb1';
