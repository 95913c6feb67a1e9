export { LORA_MAX_DIM, LORA_MOMENTUM } from './adapter-core';
export type { MicroLoRAOptions, MicroLoRAState } from './micro-lora';
export { MicroLoRA } from './micro-lora';
export type { MultiHeadLoRAOptions, MultiHeadLoRAState } from './multi-head-lora';
export { HEAD_WEIGHT, MAX_HEADS, MultiHeadLoRA } from './multi-head-lora';
export { rankForParams } from './rank';
