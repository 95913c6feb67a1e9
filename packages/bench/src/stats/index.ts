// @sona/bench/stats: the statistics the protocol measures with (seeded bootstrap, calibration,
// cost frontiers, stratified splits), for checking or reusing its figures.
export type { BootstrapOptions, Estimate } from './bootstrap';
export {
  bootstrapMean,
  capturedShare,
  mean,
  pairedBootstrap,
  percentileInterval,
  quantileSorted,
  resampleMeans,
} from './bootstrap';
export type { ReliabilityBin } from './calibration';
export {
  brierScore,
  eceOfBins,
  expectedBrierScore,
  expectedCalibrationError,
  reliabilityBins,
} from './calibration';
export type { CostPoint } from './frontier';
export {
  areaUnderHull,
  averageImprovementInQuality,
  hullValue,
  upperHull,
} from './frontier';
export type { ParetoPoint } from './pareto';
export { paretoFrontier } from './pareto';
export type { StratifiedSample } from './split';
export { largestRemainder, stratifiedFolds, stratifiedSample } from './split';
