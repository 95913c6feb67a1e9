import { isMainThread } from 'node:worker_threads';
import { SonaError } from '@sona/core';
import { jsKernels } from './js-kernels';
import type { BackendName, Kernels } from './kernels';
import { loadNativeAddon, nativeBackendsFrom } from './native';

export const BACKEND_NAMES: readonly BackendName[] = [
  'avx512',
  'avx2',
  'sse41',
  'neon',
  'serial',
  'js',
];

/**
 * The fallback line, once per process: printed by the main thread only, since every worker
 * thread that loads the package would print the same line again.
 */
function printOnMainThread(message: string): void {
  if (isMainThread) process.stderr.write(`${message}\n`);
}

/**
 * Native backends usable on this machine, best first, from the addon (a source build or a
 * prebuilt binary that fits); none, with one line on stderr, if no addon can be used.
 */
function nativeBackends(): Kernels[] {
  return nativeBackendsFrom(loadNativeAddon(), process.env, printOnMainThread);
}

let active: Kernels | undefined;
let usable: Kernels[] | undefined;

function usableKernels(): Kernels[] {
  usable ??= [...nativeBackends(), jsKernels];
  return usable;
}

/**
 * The dispatch table, chosen once on first use: `SONA_SIMD` if set (an error if this machine
 * cannot run it), otherwise the best usable backend.
 */
export function kernels(): Kernels {
  if (active) return active;
  const forced = process.env.SONA_SIMD?.trim();
  const all = usableKernels();
  if (forced) {
    if (!(BACKEND_NAMES as readonly string[]).includes(forced)) {
      throw new SonaError(
        'INVALID_ARGUMENT',
        `SONA_SIMD=${forced} is not a backend; expected one of ${BACKEND_NAMES.join(', ')}`,
      );
    }
    const match = all.find((k) => k.name === forced);
    if (!match) {
      throw new SonaError(
        'BACKEND_UNAVAILABLE',
        `SONA_SIMD=${forced} cannot run here; usable backends: ${all.map((k) => k.name).join(', ')}`,
      );
    }
    active = match;
  } else {
    active = all[0]!;
  }
  return active;
}

/** Kernels of a named backend, for tests and benchmarks that compare backends. */
export function kernelsFor(name: BackendName): Kernels {
  const match = usableKernels().find((k) => k.name === name);
  if (!match) throw new SonaError('BACKEND_UNAVAILABLE', `backend ${name} cannot run here`);
  return match;
}

export function backend(): BackendName {
  return kernels().name;
}

export function backends(): BackendName[] {
  return usableKernels().map((k) => k.name);
}
