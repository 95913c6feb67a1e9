import type { Options } from 'tsup';

export interface SonaTsupOptions extends Options {
  /**
   * Entries that only Node runs as files (a CLI, a worker thread): built as ESM only, sharing
   * the library's code through chunks instead of each carrying a copy, without declarations.
   */
  readonly nodeEntries?: Readonly<Record<string, string>>;
  /**
   * Library entries beside `index` (subpath exports such as `@sona/bench/stats`): built like
   * `index`, ESM + CJS + declarations.
   */
  readonly subpaths?: Readonly<Record<string, string>>;
}

/**
 * The one build every @sona package uses: ESM + CJS + declarations for Node 20, dependencies
 * left external (tsup's default for everything in package.json). No source maps: the tarball
 * ships only what runs. No second tree-shaking pass through rollup: esbuild already drops unused
 * modules, and rollup's pass over esbuild's bundle only warned about the imports it left behind.
 */
export function sonaTsup({ nodeEntries, subpaths, ...overrides }: SonaTsupOptions = {}): Options {
  const options: Options = {
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    sourcemap: false,
    target: 'node20',
    platform: 'node',
    treeshake: false,
    ...overrides,
  };
  const library = { index: 'src/index.ts', ...subpaths };
  if (nodeEntries === undefined) {
    return subpaths === undefined
      ? { ...options, splitting: false }
      : { ...options, entry: library, splitting: false };
  }
  return {
    ...options,
    entry: { ...library, ...nodeEntries },
    dts: { entry: library },
    splitting: undefined, // tsup's default: chunks for ESM, none for CJS
    esbuildOptions(esbuild, { format }) {
      if (format === 'cjs') esbuild.entryPoints = library;
    },
  };
}
