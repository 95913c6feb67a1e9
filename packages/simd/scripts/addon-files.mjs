// Where the native addon may be, for this Node: the one used by the package at run time
// (src/native.ts) and by its install script (scripts/build-native.mjs), so that both pick the
// same file. Plain JavaScript, because the install script runs before anything is compiled.
//
// Candidates, in order:
//   build/Release/sona_simd.node            built from source here (a checkout, or an install
//                                           where no prebuilt binary fitted)
//   prebuilds/<platform>-<arch>/*.node      prebuilt binaries shipped in the package tarball,
//                                           named by prebuildify's convention: dot-separated
//                                           tags, e.g. node.napi.glibc.node
// A prebuilt file is a candidate only if every tag of its name fits this process: the runtime
// `node`; `napi` (Node-API: this Node must offer at least NAPI_VERSION), or `abi<N>` (exactly
// this Node's process.versions.modules); `glibc` or `musl` (this Node's C library); `uv<N>` (this
// libuv's major version). A name with any other tag is skipped. Files with an `abi` tag rank
// before `napi` ones, then files with more tags first, as node-gyp-build ranks them.
import { closeSync, existsSync, openSync, readdirSync, readSync } from 'node:fs';
import { join } from 'node:path';

/** The Node-API version the addon is compiled for (CMakeLists.txt, package.json binary). */
export const NAPI_VERSION = 8;

/** The addon's interface version, which src/native.ts expects (native/addon.cpp abiVersion). */
export const ADDON_ABI_VERSION = 2;

/** build/Release/sona_simd.node of a package root. */
export function builtAddonPath(packageRoot) {
  return join(packageRoot, 'build', 'Release', 'sona_simd.node');
}

/** The C library of this Node: read from its program interpreter, never by running anything. */
function detectLibc() {
  if (process.platform !== 'linux') return undefined;
  let fd;
  try {
    fd = openSync(process.execPath, 'r');
    const head = Buffer.alloc(4096);
    const n = readSync(fd, head, 0, head.length, 0);
    const text = head.subarray(0, n).toString('latin1');
    if (text.includes('/ld-musl-')) return 'musl';
    if (text.includes('/ld-linux')) return 'glibc';
    return undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

let libcOfThisNode;

/** The facts about this process a prebuilt file's tags are matched against. */
export function currentRuntime() {
  libcOfThisNode ??= { value: detectLibc() };
  return {
    platform: process.platform,
    arch: process.arch,
    napi: Number(process.versions.napi ?? 0),
    modules: String(process.versions.modules),
    uv: String(process.versions.uv ?? '').split('.')[0],
    libc: libcOfThisNode.value,
  };
}

/**
 * The rank of a prebuilt file name for a runtime (higher is more specific), or -1 when one of
 * its tags does not fit.
 */
export function prebuildRank(fileName, runtime) {
  if (!fileName.endsWith('.node')) return -1;
  const [name, ...tags] = fileName.slice(0, -'.node'.length).split('.');
  if (name !== 'node') return -1;
  let napi = false;
  let abi = false;
  for (const tag of tags) {
    if (tag === 'napi') {
      if (runtime.napi < NAPI_VERSION) return -1;
      napi = true;
    } else if (/^abi\d+$/.test(tag)) {
      if (tag.slice(3) !== runtime.modules) return -1;
      abi = true;
    } else if (tag === 'glibc' || tag === 'musl') {
      if (runtime.libc !== undefined && tag !== runtime.libc) return -1;
    } else if (/^uv\d+$/.test(tag)) {
      if (tag.slice(2) !== runtime.uv) return -1;
    } else {
      return -1;
    }
  }
  if (napi === abi) return -1; // exactly one of the two says which Node can load it
  return (abi ? 100 : 0) + tags.length;
}

/** The prebuilt files under prebuilds/ that fit this runtime, best first. */
export function prebuildCandidates(packageRoot, runtime = currentRuntime()) {
  const dir = join(packageRoot, 'prebuilds', `${runtime.platform}-${runtime.arch}`);
  let names;
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .map((fileName) => ({ fileName, rank: prebuildRank(fileName, runtime) }))
    .filter((c) => c.rank >= 0)
    .sort((a, b) => b.rank - a.rank || (a.fileName < b.fileName ? -1 : 1))
    .map((c) => join(dir, c.fileName));
}

/** Every file worth trying, in order: a source build first, then the fitting prebuilt ones. */
export function addonCandidates(packageRoot, runtime = currentRuntime()) {
  const built = builtAddonPath(packageRoot);
  return [...(existsSync(built) ? [built] : []), ...prebuildCandidates(packageRoot, runtime)];
}

/** Why addonCandidates is empty, in words. */
export function noCandidateReason(packageRoot, runtime = currentRuntime()) {
  const target = `${runtime.platform}-${runtime.arch}`;
  const shipped = existsSync(join(packageRoot, 'prebuilds', target));
  const prebuilt = shipped
    ? `no prebuilt binary for ${target} fits this Node (Node-API ${runtime.napi}, ABI ${runtime.modules})`
    : `no prebuilt binary for ${target} is shipped`;
  return `${prebuilt}, and none was built from source`;
}
