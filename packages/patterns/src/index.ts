export type {
  ContrastiveMemoryOptions,
  ContrastiveMemoryState,
  LossAndGradient,
  MemoryRingState,
} from './contrastive-memory';
export { ContrastiveMemory } from './contrastive-memory';
export type { KMeansMetric, KMeansOptions, KMeansResult, KMeansStep } from './kmeans';
export { kmeans } from './kmeans';
export type {
  ArmRecord,
  ExtractionSummary,
  Pattern,
  PatternBankOptions,
  PatternBankState,
  PatternMatch,
} from './pattern-bank';
export { PatternBank, smoothedRate } from './pattern-bank';
export type {
  Clustering,
  Membership,
  PatternSetOptions,
  PatternSetState,
} from './pattern-set';
export { PatternSet } from './pattern-set';
