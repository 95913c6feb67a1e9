import { createApi, type SimdApi } from './api';
import { kernels, kernelsFor } from './backend';
import type { BackendName } from './kernels';

export type { SimdApi, TopKResult } from './api';
export { backend, backends } from './backend';
export type { BackendName, Metric } from './kernels';

const active = createApi(kernels);

export const {
  dot,
  cosine,
  l2sq,
  norm,
  axpy,
  scale,
  add,
  sub,
  mul,
  dotMany,
  cosineMany,
  l2sqMany,
  topK,
  gemv,
  gemvT,
  ger,
} = active;

/** The same API bound to one named backend (for comparing backends); throws if unusable here. */
export function withBackend(name: BackendName): SimdApi {
  const table = kernelsFor(name);
  return createApi(() => table);
}
