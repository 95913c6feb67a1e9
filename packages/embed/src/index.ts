export type { EmbedOptions } from './embed';
export { DEFAULT_DIM, embedText, features, fnv1a32, tokenize } from './embed';
