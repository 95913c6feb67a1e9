import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isSonaError } from '@sona/core';
import { describe, expect, it } from 'vitest';
import { expectSonaError } from '../../../tools/testing/sona-error';
import {
  type AddonRuntime,
  addonCandidates,
  NAPI_VERSION,
  noCandidateReason,
  prebuildRank,
} from '../scripts/addon-files.mjs';
import { bits } from '../test/arbitraries';
import { backends } from './index';
import {
  fallbackMessage,
  loadNativeAddon,
  type NativeAddon,
  nativeBackendsFrom,
  packageRoot,
} from './native';

const load = loadNativeAddon();
/** Visible in the test list as skipped, never a pass that asserted nothing. */
const withoutAddon = !load.addon;

describe('loading the addon', () => {
  it.runIf(process.env.SONA_REQUIRE_NATIVE === '1')(
    'under SONA_REQUIRE_NATIVE=1 the addon is built and its backends are offered, best first',
    () => {
      expect(load.addon).toBeDefined();
      const addon = load.addon!;
      expect(backends()).toEqual([...addon.backends, 'js']);
      expect(addon.backends[0]).toBe(addon.best);
      expect(addon.backends.at(-1)).toBe('serial');
    },
  );

  it.skipIf(withoutAddon)('the CPU features the addon reports decide its tables', () => {
    const { cpu, backends: names } = load.addon!;
    expect(names.includes('avx512')).toBe(cpu.avx512f);
    expect(names.includes('avx2')).toBe(cpu.avx2);
    expect(names.includes('sse41')).toBe(cpu.sse41);
    expect(names.includes('neon')).toBe(cpu.neon);
  });

  it('a missing addon is a reason, not an exception', () => {
    const missing = loadNativeAddon([join(tmpdir(), 'no-such-dir', 'sona_simd.node')]);
    expect(missing.addon).toBeUndefined();
    expect('reason' in missing && missing.reason).toMatch(/does not exist/);
  });

  it('a file that is not an addon is a reason, not an exception', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'sona-simd-')), 'sona_simd.node');
    writeFileSync(path, 'not a shared library');
    const broken = loadNativeAddon([path]);
    expect(broken.addon).toBeUndefined();
    expect('reason' in broken && broken.reason).toMatch(/failed to load/);
  });

  it('without the addon: one line, that says what runs and how to build it, and no native backend', () => {
    const warnings: string[] = [];
    const kernels = nativeBackendsFrom({ reason: 'not built' }, {}, (m) => warnings.push(m));
    expect(kernels).toEqual([]);
    expect(warnings).toEqual([fallbackMessage('not built')]);
    expect(warnings[0]).not.toMatch(/\n/);
    expect(warnings[0]).toMatch(/not built.*TypeScript backend "js"/);
    expect(warnings[0]).toMatch(/npm install-scripts approve @sona\/simd && npm rebuild/);
  });

  it('with no candidate at all, the reason says what is missing for this platform', () => {
    const none = loadNativeAddon([]);
    expect('reason' in none && none.reason).toMatch(
      new RegExp(
        `prebuilt binary for ${process.platform}-${process.arch} .*none was built from source`,
      ),
    );
    const root = mkdtempSync(join(tmpdir(), 'sona-simd-root-'));
    expect(noCandidateReason(root)).toMatch(/is shipped/);
    mkdirSync(join(root, 'prebuilds', `${process.platform}-${process.arch}`), { recursive: true });
    expect(noCandidateReason(root)).toMatch(
      new RegExp(
        `fits this Node \\(Node-API ${process.versions.napi}, ABI ${process.versions.modules}\\)`,
      ),
    );
  });

  it('without the addon and SONA_SIMD=js: no warning', () => {
    const warnings: string[] = [];
    nativeBackendsFrom({ reason: 'not built' }, { SONA_SIMD: 'js' }, (m) => warnings.push(m));
    expect(warnings).toEqual([]);
  });

  it('without the addon and SONA_REQUIRE_NATIVE=1: NATIVE_LOAD_FAILED', () => {
    expectSonaError(
      () => nativeBackendsFrom({ reason: 'not built' }, { SONA_REQUIRE_NATIVE: '1' }, () => {}),
      'NATIVE_LOAD_FAILED',
    );
  });
});

/** Raw native calls, bypassing every TypeScript check. */
type Raw = NativeAddon['kernels'][string];
const f32 = (n: number) => new Float32Array(n);
const i32 = (n: number) => new Int32Array(n);
const as = <T>(value: unknown) => value as T;

const badCalls: [string, (t: Raw) => unknown, string][] = [
  ['dot: lengths differ', (t) => t.dot(f32(4), f32(3)), 'DIM_MISMATCH'],
  ['dot: number[]', (t) => t.dot(as([1, 2, 3, 4]), f32(4)), 'INVALID_ARGUMENT'],
  ['dot: Float64Array', (t) => t.dot(as(new Float64Array(4)), f32(4)), 'INVALID_ARGUMENT'],
  [
    'dot: argument missing',
    (t) => as<(a: Float32Array) => number>(t.dot)(f32(4)),
    'INVALID_ARGUMENT',
  ],
  ['cosine: Int32Array', (t) => t.cosine(f32(4), as(i32(4))), 'INVALID_ARGUMENT'],
  ['l2sq: lengths differ', (t) => t.l2sq(f32(5), f32(4)), 'DIM_MISMATCH'],
  ['add: out too short', (t) => t.add(f32(4), f32(4), f32(3)), 'DIM_MISMATCH'],
  [
    'sub: out partly over a',
    (t) => {
      const shared = f32(8);
      t.sub(shared.subarray(0, 4), f32(4), shared.subarray(2, 6));
    },
    'INVALID_ARGUMENT',
  ],
  [
    'mul: out is a DataView',
    (t) => t.mul(f32(2), f32(2), as(new DataView(new ArrayBuffer(8)))),
    'INVALID_ARGUMENT',
  ],
  ['axpy: NaN alpha', (t) => t.axpy(Number.NaN, f32(4), f32(4)), 'NON_FINITE'],
  ['axpy: alpha a string', (t) => t.axpy(as('2'), f32(4), f32(4)), 'INVALID_ARGUMENT'],
  [
    'axpy: x overlaps y',
    (t) => {
      const shared = f32(8);
      t.axpy(1, shared.subarray(0, 4), shared.subarray(3, 7));
    },
    'INVALID_ARGUMENT',
  ],
  ['scale: infinite alpha', (t) => t.scale(f32(4), Number.POSITIVE_INFINITY, f32(4)), 'NON_FINITE'],
  ['dotMany: dim 0', (t) => t.dotMany(f32(0), f32(0), 0, f32(0)), 'OUT_OF_RANGE'],
  ['dotMany: dim 1.5', (t) => t.dotMany(f32(4), f32(8), 1.5, f32(2)), 'INVALID_ARGUMENT'],
  [
    'dotMany: dim 2^40, not the query length',
    (t) => t.dotMany(f32(4), f32(8), 2 ** 40, f32(2)),
    'DIM_MISMATCH',
  ],
  ['dotMany: dim 2^53', (t) => t.dotMany(f32(4), f32(8), 2 ** 53, f32(2)), 'OUT_OF_RANGE'],
  ['dotMany: dim a string', (t) => t.dotMany(f32(4), f32(8), as('4'), f32(2)), 'INVALID_ARGUMENT'],
  ['dotMany: query length is not dim', (t) => t.dotMany(f32(3), f32(8), 4, f32(2)), 'DIM_MISMATCH'],
  [
    'cosineMany: matrix not a multiple of dim',
    (t) => t.cosineMany(f32(4), f32(10), 4, f32(2)),
    'DIM_MISMATCH',
  ],
  ['l2sqMany: out too long', (t) => t.l2sqMany(f32(4), f32(8), 4, f32(3)), 'DIM_MISMATCH'],
  [
    'dotMany: out inside the matrix',
    (t) => {
      const matrix = f32(8);
      t.dotMany(f32(4), matrix, 4, matrix.subarray(0, 2));
    },
    'INVALID_ARGUMENT',
  ],
  ['topK: k > rows', (t) => t.topK(f32(4), f32(8), 4, 'dot', i32(3), f32(3)), 'INVALID_ARGUMENT'],
  [
    'topK: scores shorter than indices',
    (t) => t.topK(f32(4), f32(8), 4, 'dot', i32(2), f32(1)),
    'DIM_MISMATCH',
  ],
  [
    'topK: unknown metric',
    (t) => t.topK(f32(4), f32(8), 4, as('l1'), i32(1), f32(1)),
    'INVALID_ARGUMENT',
  ],
  [
    'topK: metric not a string',
    (t) => t.topK(f32(4), f32(8), 4, as(0), i32(1), f32(1)),
    'INVALID_ARGUMENT',
  ],
  [
    'topK: indices a Float32Array',
    (t) => t.topK(f32(4), f32(8), 4, 'dot', as(f32(1)), f32(1)),
    'INVALID_ARGUMENT',
  ],
  [
    'topK: indices over the matrix',
    (t) => {
      const matrix = f32(8);
      t.topK(f32(4), matrix, 4, 'dot', new Int32Array(matrix.buffer, 0, 2), f32(2));
    },
    'INVALID_ARGUMENT',
  ],
  ['gemv: M is not rows × cols', (t) => t.gemv(f32(6), 2, 2, f32(2), f32(2)), 'DIM_MISMATCH'],
  ['gemv: negative rows', (t) => t.gemv(f32(0), -1, 0, f32(0), f32(0)), 'OUT_OF_RANGE'],
  ['gemv: rows beyond 2^53 - 1', (t) => t.gemv(f32(0), 2 ** 53, 0, f32(0), f32(0)), 'OUT_OF_RANGE'],
  [
    'gemv: rows × cols overflows',
    (t) => t.gemv(f32(4), 2 ** 40, 2 ** 40, f32(0), f32(0)),
    'DIM_MISMATCH',
  ],
  [
    'dot: a Proxy around a Float32Array',
    (t) => t.dot(new Proxy(f32(4), {}), f32(4)),
    'INVALID_ARGUMENT',
  ],
  ['gemv: x of length rows', (t) => t.gemv(f32(6), 2, 3, f32(2), f32(2)), 'DIM_MISMATCH'],
  ['gemvT: out of length rows', (t) => t.gemvT(f32(6), 2, 3, f32(2), f32(2)), 'DIM_MISMATCH'],
  [
    'gemvT: out over x',
    (t) => {
      const shared = f32(5);
      t.gemvT(f32(6), 2, 3, shared.subarray(0, 2), shared.subarray(1, 4));
    },
    'INVALID_ARGUMENT',
  ],
  ['ger: u of length cols', (t) => t.ger(f32(6), 2, 3, 1, f32(3), f32(3)), 'DIM_MISMATCH'],
  ['ger: NaN alpha', (t) => t.ger(f32(6), 2, 3, Number.NaN, f32(2), f32(3)), 'NON_FINITE'],
  [
    'ger: v inside M',
    (t) => {
      const m = f32(6);
      t.ger(m, 2, 3, 1, f32(2), m.subarray(3, 6));
    },
    'INVALID_ARGUMENT',
  ],
];

describe.runIf(load.addon)('the addon checks every argument itself', () => {
  const tables = Object.values(load.addon?.kernels ?? {});

  it.each(badCalls)('%s', (_name, call, code) => {
    for (const table of tables) {
      let caught: unknown;
      try {
        call(table);
      } catch (error) {
        caught = error;
      }
      expect(caught, table.name).toBeInstanceOf(Error);
      expect((caught as { code?: string }).code, table.name).toBe(code);
    }
  });

  it('a rejected call writes nothing', () => {
    for (const table of tables) {
      const out = Float32Array.of(1, 2, 3);
      expect(() => table.add(f32(4), f32(4), out)).toThrow();
      expect(Array.from(out)).toEqual([1, 2, 3]);
    }
  });

  it('a detached buffer is refused, not read as an empty array', () => {
    for (const table of tables) {
      const buffer = new ArrayBuffer(16);
      const view = new Float32Array(buffer);
      structuredClone(buffer, { transfer: [buffer] });
      expect(view.length).toBe(0);
      expect(() => table.dot(view, f32(0)), table.name).toThrowError(
        expect.objectContaining({
          code: 'INVALID_ARGUMENT',
          message: 'a is a view of a detached buffer',
        }),
      );
      expect(table.dot(f32(0), f32(0))).toBe(0);
    }
  });

  it('errors of the wrapped kernels are SonaErrors', () => {
    for (const kernels of nativeBackendsFrom(load, {}, () => {})) {
      let caught: unknown;
      try {
        kernels.dot(f32(4), f32(3));
      } catch (error) {
        caught = error;
      }
      expect(isSonaError(caught, 'DIM_MISMATCH'), kernels.name).toBe(true);
    }
  });

  it('element-wise ops accept out equal to an input', () => {
    for (const table of tables) {
      const a = Float32Array.of(1, 2, 3, 4, 5);
      table.add(a, Float32Array.of(1, 1, 1, 1, 1), a);
      expect(bits(a)).toEqual(bits(Float32Array.of(2, 3, 4, 5, 6)));
    }
  });
});

describe('which prebuilt binary fits this Node (scripts/addon-files.mjs)', () => {
  const runtime: AddonRuntime = {
    platform: 'linux',
    arch: 'x64',
    napi: 9,
    modules: '115',
    uv: '1',
    libc: 'glibc',
  };

  it.each([
    ['node.napi.glibc.node', true],
    ['node.napi.node', true],
    ['node.abi115.node', true],
    ['node.abi115.glibc.uv1.node', true],
    ['node.napi.musl.node', false],
    ['node.abi108.node', false],
    ['node.napi.uv2.node', false],
    ['node.node', false],
    ['node.napi.abi115.node', false],
    ['electron.napi.node', false],
    ['node.napi.armv7.node', false],
    ['node.napi.glibc.so', false],
  ])('%s fits: %s', (fileName, fits) => {
    expect(prebuildRank(fileName, runtime) >= 0).toBe(fits);
  });

  it('a Node-API build needs this Node to offer the addon’s Node-API version', () => {
    expect(prebuildRank('node.napi.node', { ...runtime, napi: NAPI_VERSION })).toBeGreaterThan(-1);
    expect(prebuildRank('node.napi.node', { ...runtime, napi: NAPI_VERSION - 1 })).toBe(-1);
  });

  it('an unknown C library does not rule a libc-tagged build out (loading it decides)', () => {
    expect(prebuildRank('node.napi.glibc.node', { ...runtime, libc: undefined })).toBeGreaterThan(
      -1,
    );
  });

  it('a source build comes first, then the fitting prebuilt files, ABI-specific before Node-API', () => {
    const root = mkdtempSync(join(tmpdir(), 'sona-simd-root-'));
    const dir = join(root, 'prebuilds', `${runtime.platform}-${runtime.arch}`);
    mkdirSync(dir, { recursive: true });
    for (const name of [
      'node.napi.node',
      'node.napi.glibc.node',
      'node.abi115.node',
      'node.abi1.node',
    ]) {
      writeFileSync(join(dir, name), '');
    }
    mkdirSync(join(root, 'prebuilds', 'darwin-arm64'));
    writeFileSync(join(root, 'prebuilds', 'darwin-arm64', 'node.napi.node'), '');
    expect(addonCandidates(root, runtime)).toEqual(
      ['node.abi115.node', 'node.napi.glibc.node', 'node.napi.node'].map((n) => join(dir, n)),
    );
    mkdirSync(join(root, 'build', 'Release'), { recursive: true });
    writeFileSync(join(root, 'build', 'Release', 'sona_simd.node'), '');
    expect(addonCandidates(root, runtime)[0]).toBe(
      join(root, 'build', 'Release', 'sona_simd.node'),
    );
  });

  it('a file that fails to load is passed over for the next candidate', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'sona-simd-')), 'node.napi.node');
    writeFileSync(path, 'not a shared library');
    const next = loadNativeAddon([path, ...(load.addon ? [load.path] : [])]);
    if (load.addon) expect(next.addon).toBe(load.addon);
    else expect('reason' in next && next.reason).toMatch(/failed to load/);
  });

  it('the Node-API version is the one package.json and CMakeLists.txt build for', () => {
    const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8'));
    expect(pkg.binary.napi_versions).toEqual([NAPI_VERSION]);
    const cmake = readFileSync(join(packageRoot(), 'CMakeLists.txt'), 'utf8');
    expect(cmake).toContain(`NAPI_VERSION=${NAPI_VERSION} `);
  });
});
