export type { KMeansMetric, KMeansOptions, KMeansResult, KMeansStep } from './kmeans';
export { kmeans } from './kmeans';
