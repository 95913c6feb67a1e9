import type { Options } from 'tsup';

/**
 * The one build every @sona package uses: ESM + CJS + declarations for Node 20,
 * dependencies left external (tsup's default for everything in package.json).
 */
export function sonaTsup(overrides: Options = {}): Options {
  return {
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'node20',
    platform: 'node',
    splitting: false,
    treeshake: true,
    ...overrides,
  };
}
