import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { ERROR_CODES, SonaError, type SonaErrorCode } from '@sona/core';
import { ADDON_ABI_VERSION, addonCandidates, noCandidateReason } from '../scripts/addon-files.mjs';
import type { BackendName, Kernels } from './kernels';

type KernelName = Exclude<keyof Kernels, 'name' | 'checksOverlap'>;

/** One kernel table of the addon (native/addon.cpp): the kernels, each checking its arguments. */
type NativeTable = Pick<Kernels, KernelName> & { readonly name: string };

/** Every kernel a table holds. */
const KERNEL_NAMES = [
  'dot',
  'l2sq',
  'cosine',
  'axpy',
  'scale',
  'add',
  'sub',
  'mul',
  'dotMany',
  'cosineMany',
  'l2sqMany',
  'topK',
  'gemv',
  'gemvT',
  'ger',
] as const satisfies readonly KernelName[];
// A kernel added to Kernels but not to KERNEL_NAMES fails to compile here.
const everyKernelNamed: Exclude<KernelName, (typeof KERNEL_NAMES)[number]> extends never
  ? true
  : never = true;
void everyKernelNamed;

/** What the addon (build/Release/sona_simd.node or a prebuilt one) exports. */
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

const NATIVE_NAMES: readonly BackendName[] = ['avx512', 'avx2', 'sse41', 'neon', 'serial'];

/** The package's root: the same relative path from src/ and from dist/. */
export function packageRoot(): string {
  return fileURLToPath(new URL('..', import.meta.url));
}

/** Loads one file; a missing, broken or foreign file is a reason, not an error. */
function loadFile(path: string): NativeLoad {
  if (!existsSync(path)) return { reason: `${path} does not exist` };
  let addon: NativeAddon;
  try {
    addon = createRequire(import.meta.url)(path) as NativeAddon;
  } catch (error) {
    return { reason: `${path} failed to load: ${(error as Error)?.message ?? String(error)}` };
  }
  if (addon?.abiVersion !== ADDON_ABI_VERSION) {
    return {
      reason: `${path} has interface version ${addon?.abiVersion}, expected ${ADDON_ABI_VERSION}`,
    };
  }
  const incomplete = addon.backends.find((name) =>
    KERNEL_NAMES.some((kernel) => typeof addon.kernels[name]?.[kernel] !== 'function'),
  );
  if (incomplete !== undefined) return { reason: `${path} lacks kernels of ${incomplete}` };
  return { addon, path };
}

/**
 * Loads the first of `candidates` that works (by default a source build, then the prebuilt
 * binaries that fit this Node: scripts/addon-files.mjs); never throws.
 */
export function loadNativeAddon(
  candidates: readonly string[] = addonCandidates(packageRoot()),
): NativeLoad {
  const reasons: string[] = [];
  for (const path of candidates) {
    const load = loadFile(path);
    if (load.addon) return load;
    reasons.push(load.reason);
  }
  if (candidates.length === 0) reasons.push(noCandidateReason(packageRoot()));
  return { reason: reasons.join('; ') };
}

/** The one line printed when no native addon can be used. */
export function fallbackMessage(reason: string): string {
  return (
    `@sona/simd: no native addon (${reason}); running on the TypeScript backend "js" (same ` +
    'results, slower). To build it, with CMake >= 3.15 and a C++17 compiler: npm install -D ' +
    'cmake-js node-addon-api && npm install-scripts approve @sona/simd && npm rebuild @sona/simd. ' +
    'SONA_SIMD=js silences this line.'
  );
}

/**
 * The native backends to offer, given the outcome of loading the addon: its tables, best
 * first. Without the addon: a NATIVE_LOAD_FAILED error under SONA_REQUIRE_NATIVE=1, otherwise
 * one line through `warn` (none when SONA_SIMD=js asks for the TypeScript backend anyway) and no
 * backend.
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
  if (env.SONA_SIMD?.trim() !== 'js') warn(fallbackMessage(load.reason));
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

/** A kernel whose errors come back as SonaErrors. */
function rethrowingSonaErrors<F extends (...args: never[]) => unknown>(kernel: F): F {
  return ((...args: Parameters<F>) => {
    try {
      return kernel(...args);
    } catch (error) {
      throw asSonaError(error);
    }
  }) as F;
}

function wrapTable(name: BackendName, table: NativeTable): Kernels {
  const kernels = Object.fromEntries(
    KERNEL_NAMES.map((kernel) => [kernel, rethrowingSonaErrors(table[kernel])]),
  ) as Pick<Kernels, KernelName>;
  return { name, checksOverlap: true, ...kernels };
}
