export type { EwcOptions, EwcState } from './ewc';
export { EWC_DECAY, EWC_MAX_SIZE, Ewc } from './ewc';
export { EWC_LAMBDA, ewcLambda } from './lambda';
