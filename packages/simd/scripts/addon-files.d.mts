// Types of addon-files.mjs, for src/native.ts.
export interface AddonRuntime {
  readonly platform: string;
  readonly arch: string;
  /** process.versions.napi, or 0 without Node-API. */
  readonly napi: number;
  /** process.versions.modules (the Node ABI). */
  readonly modules: string;
  /** The libuv major version. */
  readonly uv: string;
  readonly libc: 'glibc' | 'musl' | undefined;
}

export const NAPI_VERSION: number;
export const ADDON_ABI_VERSION: number;
export function builtAddonPath(packageRoot: string): string;
export function currentRuntime(): AddonRuntime;
export function prebuildRank(fileName: string, runtime: AddonRuntime): number;
export function prebuildCandidates(packageRoot: string, runtime?: AddonRuntime): string[];
export function addonCandidates(packageRoot: string, runtime?: AddonRuntime): string[];
export function noCandidateReason(packageRoot: string, runtime?: AddonRuntime): string;
