import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { ERROR_CODES, SonaError, type SonaErrorCode } from '@sona/core';
import type { BackendName, Kernels } from './kernels';

/** One kernel table of the addon (native/addon.cpp): the kernels, each checking its arguments. */
type NativeTable = Omit<Kernels, 'name' | 'checksOverlap'> & { readonly name: string };

/** What build/Release/sona_simd.node exports. */
export interface NativeAddon {
  readonly abiVersion: number;
  /** The dispatch table the addon chose from CPUID/XGETBV (x86) or its build target. */
  readonly best: string;
  /** Every table this CPU can run, best first; `serial` is always last. */
  readonly backends: readonly string[];
  readonly kernels: Readonly<Record<string, NativeTable>>;
  readonly cpu: Readonly<Record<string, boolean>>;
}

export type NativeLoad =
  | { readonly addon: NativeAddon; readonly path: string }
  | { readonly addon?: undefined; readonly reason: string };

/** The addon interface version this TypeScript expects (native/addon.cpp `abiVersion`). */
const ADDON_ABI_VERSION = 1;

const NATIVE_NAMES: readonly BackendName[] = ['avx512', 'avx2', 'sse41', 'neon', 'serial'];

/** build/Release/sona_simd.node of this package; the same relative path from src/ and dist/. */
export function defaultAddonPath(): string {
  return fileURLToPath(new URL('../build/Release/sona_simd.node', import.meta.url));
}

/** Loads the addon; never throws (a missing or broken addon is a reason, not an error). */
export function loadNativeAddon(path: string = defaultAddonPath()): NativeLoad {
  if (!existsSync(path)) return { reason: `${path} does not exist (the addon was not built)` };
  try {
    const addon = createRequire(import.meta.url)(path) as NativeAddon;
    if (addon?.abiVersion !== ADDON_ABI_VERSION) {
      return {
        reason: `${path} has interface version ${addon?.abiVersion}, expected ${ADDON_ABI_VERSION} (rebuild it: npm rebuild @sona/simd)`,
      };
    }
    return { addon, path };
  } catch (error) {
    return { reason: `${path} failed to load: ${(error as Error)?.message ?? String(error)}` };
  }
}

/**
 * The native backends to offer, given the outcome of loading the addon: its tables, best
 * first. Without the addon: a NATIVE_LOAD_FAILED error under SONA_REQUIRE_NATIVE=1, otherwise
 * one warning (none when SONA_SIMD=js asks for the TypeScript backend anyway) and no backend.
 */
export function nativeBackendsFrom(
  load: NativeLoad,
  env: Readonly<Record<string, string | undefined>>,
  warn: (message: string) => void,
): Kernels[] {
  if (load.addon) {
    const { addon } = load;
    return addon.backends
      .filter((name): name is BackendName => (NATIVE_NAMES as readonly string[]).includes(name))
      .map((name) => wrapTable(name, addon.kernels[name]!));
  }
  if (env.SONA_REQUIRE_NATIVE === '1') {
    throw new SonaError(
      'NATIVE_LOAD_FAILED',
      `SONA_REQUIRE_NATIVE=1 but the native addon cannot be used: ${load.reason}`,
    );
  }
  if (env.SONA_SIMD?.trim() !== 'js') {
    warn(
      `@sona/simd: the native SIMD addon cannot be used (${load.reason}); running on the ` +
        'TypeScript backend "js" (same results, slower). Install CMake and a C++17 compiler, ' +
        'then run "npm rebuild @sona/simd".',
    );
  }
  return [];
}

/** A native error carries one of @sona/core's codes; give it back as a SonaError. */
function asSonaError(error: unknown): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (error instanceof Error && typeof code === 'string' && code in ERROR_CODES) {
    return new SonaError(code as SonaErrorCode, error.message, { cause: error });
  }
  return error;
}

function wrapTable(name: BackendName, t: NativeTable): Kernels {
  return {
    name,
    checksOverlap: true,
    dot(a, b) {
      try {
        return t.dot(a, b);
      } catch (error) {
        throw asSonaError(error);
      }
    },
    l2sq(a, b) {
      try {
        return t.l2sq(a, b);
      } catch (error) {
        throw asSonaError(error);
      }
    },
    cosine(a, b) {
      try {
        return t.cosine(a, b);
      } catch (error) {
        throw asSonaError(error);
      }
    },
    axpy(alpha, x, y) {
      try {
        t.axpy(alpha, x, y);
      } catch (error) {
        throw asSonaError(error);
      }
    },
    scale(x, alpha, out) {
      try {
        t.scale(x, alpha, out);
      } catch (error) {
        throw asSonaError(error);
      }
    },
    add(a, b, out) {
      try {
        t.add(a, b, out);
      } catch (error) {
        throw asSonaError(error);
      }
    },
    sub(a, b, out) {
      try {
        t.sub(a, b, out);
      } catch (error) {
        throw asSonaError(error);
      }
    },
    mul(a, b, out) {
      try {
        t.mul(a, b, out);
      } catch (error) {
        throw asSonaError(error);
      }
    },
    dotMany(query, matrix, dim, out) {
      try {
        t.dotMany(query, matrix, dim, out);
      } catch (error) {
        throw asSonaError(error);
      }
    },
    cosineMany(query, matrix, dim, out) {
      try {
        t.cosineMany(query, matrix, dim, out);
      } catch (error) {
        throw asSonaError(error);
      }
    },
    l2sqMany(query, matrix, dim, out) {
      try {
        t.l2sqMany(query, matrix, dim, out);
      } catch (error) {
        throw asSonaError(error);
      }
    },
    topK(query, matrix, dim, metric, indices, scores) {
      try {
        t.topK(query, matrix, dim, metric, indices, scores);
      } catch (error) {
        throw asSonaError(error);
      }
    },
    gemv(m, rows, cols, x, out) {
      try {
        t.gemv(m, rows, cols, x, out);
      } catch (error) {
        throw asSonaError(error);
      }
    },
    gemvT(m, rows, cols, x, out) {
      try {
        t.gemvT(m, rows, cols, x, out);
      } catch (error) {
        throw asSonaError(error);
      }
    },
    ger(m, rows, cols, alpha, u, v) {
      try {
        t.ger(m, rows, cols, alpha, u, v);
      } catch (error) {
        throw asSonaError(error);
      }
    },
  };
}
