import { afterEach, describe, expect, it, vi } from 'vitest';
import { expectSonaError } from '../../../tools/testing/sona-error';
import { BACKEND_NAMES } from './backend';
import { backends } from './index';
import { loadNativeAddon } from './native';

/** A fresh copy of the package, as a new process with this SONA_SIMD would see it. */
async function withSonaSimd(value: string) {
  vi.resetModules();
  vi.stubEnv('SONA_SIMD', value);
  return import('./index');
}

afterEach(() => {
  vi.unstubAllEnvs();
});

const usable = backends();
const a = Float32Array.of(1, 2, 3);

describe('choosing the backend', () => {
  it('importing the package selects nothing and cannot fail', async () => {
    await expect(withSonaSimd('no-such-backend')).resolves.toBeDefined();
  });

  it('without SONA_SIMD, the best usable backend: the addon’s own choice when it is built', async () => {
    const fresh = await withSonaSimd('');
    const addon = loadNativeAddon().addon;
    expect(fresh.backend()).toBe(addon ? addon.best : 'js');
    expect(fresh.backends()).toEqual(usable);
  });

  it.each(usable)('SONA_SIMD=%s forces that backend', async (name) => {
    const fresh = await withSonaSimd(name);
    expect(fresh.backend()).toBe(name);
    expect(fresh.dot(a, a)).toBe(14);
  });

  const unusable = BACKEND_NAMES.filter((name) => !usable.includes(name));
  it.each(unusable)(
    'SONA_SIMD=%s, which this machine cannot run, is BACKEND_UNAVAILABLE on first use',
    async (name) => {
      const fresh = await withSonaSimd(name);
      expectSonaError(() => fresh.dot(a, a), 'BACKEND_UNAVAILABLE');
      expectSonaError(() => fresh.withBackend(name), 'BACKEND_UNAVAILABLE');
    },
  );

  it('an unknown SONA_SIMD is INVALID_ARGUMENT', async () => {
    const fresh = await withSonaSimd('avx9000');
    expectSonaError(() => fresh.backend(), 'INVALID_ARGUMENT');
  });
});
