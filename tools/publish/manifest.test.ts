import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  apply,
  BACKUP,
  publishedManifest,
  referencedFiles,
  restore,
  shippingProblems,
  ships,
} from './manifest.mjs';

const tool = fileURLToPath(new URL('./manifest.mjs', import.meta.url));

// A development manifest with everything the monorepo adds (the shape of packages/*/package.json).
const dev = {
  name: '@sona/example',
  version: '0.0.0',
  description: 'an example',
  license: 'MIT',
  type: 'module',
  exports: {
    '.': {
      '@sona/source': './src/index.ts',
      import: { types: './dist/index.d.ts', default: './dist/index.js' },
      require: { types: './dist/index.d.cts', default: './dist/index.cjs' },
    },
    './package.json': './package.json',
  },
  main: './dist/index.cjs',
  module: './dist/index.js',
  types: './dist/index.d.ts',
  bin: { example: './bin/example.js' },
  files: ['dist', 'bin', 'scripts/install.mjs', 'README.md', 'CHANGELOG.md'],
  scripts: {
    install: 'node scripts/install.mjs',
    build: 'tsup',
    test: 'vitest run',
    bench: 'vite-node bench/x.bench.ts',
    prepack: 'node ../../tools/publish/manifest.mjs prepack',
    postpack: 'node ../../tools/publish/manifest.mjs postpack',
  },
  dependencies: { '@sona/core': '^0.0.0' },
  devDependencies: { 'vite-node': '^3.2.4' },
  publishConfig: { access: 'public' },
  keywords: ['sona'],
  nx: { name: 'example', targets: { bench: { cache: false } } },
};

const root = {
  name: 'sona-monorepo',
  private: true,
  repository: { type: 'git', url: 'git+https://example.invalid/sona.git' },
  homepage: 'https://example.invalid/sona#readme',
  bugs: { url: 'https://example.invalid/sona/issues' },
};

// Every leaf of a JSON tree with the keys leading to it.
function leaves(value: unknown, path: string[] = []): [string[], unknown][] {
  if (value === null || typeof value !== 'object') return [[path, value]];
  return Object.entries(value).flatMap(([key, child]) => leaves(child, [...path, key]));
}

describe('publishedManifest', () => {
  it('drops the nx block, devDependencies, every script npm does not run at install, and @sona/source', () => {
    const { manifest } = publishedManifest(dev, root, 'packages/example');
    expect(manifest.nx).toBeUndefined();
    expect(manifest.devDependencies).toBeUndefined();
    expect(manifest.scripts).toEqual({ install: 'node scripts/install.mjs' });
    expect(manifest.exports['.']).toEqual({
      import: { types: './dist/index.d.ts', default: './dist/index.js' },
      require: { types: './dist/index.d.cts', default: './dist/index.cjs' },
    });
    expect(JSON.stringify(manifest)).not.toContain('@sona/source');
    const { manifest: withoutInstall } = publishedManifest(
      { ...dev, scripts: { build: 'tsup' } },
      root,
      'packages/example',
    );
    expect('scripts' in withoutInstall).toBe(false);
  });

  it('keeps every other field, value and order, and puts the links after license', () => {
    const { manifest, missing } = publishedManifest(dev, root, 'packages/example');
    expect(missing).toEqual([]);
    const dropped = new Set(['nx', 'devDependencies']);
    const expectedOrder = Object.keys(dev)
      .filter((key) => !dropped.has(key))
      .flatMap((key) => (key === 'license' ? [key, 'repository', 'homepage', 'bugs'] : [key]));
    expect(Object.keys(manifest)).toEqual(expectedOrder);
    for (const key of ['name', 'version', 'files', 'dependencies', 'publishConfig']) {
      expect(manifest[key]).toEqual(dev[key as keyof typeof dev]);
    }
    expect(manifest.bin).toEqual({ example: 'bin/example.js' }); // as npm publish would rewrite it
    expect(manifest.repository).toEqual({
      type: 'git',
      url: 'git+https://example.invalid/sona.git',
      directory: 'packages/example',
    });
    expect(manifest.homepage).toBe(root.homepage);
    expect(manifest.bugs).toEqual(root.bugs);
  });

  it('takes a repository given as a string, and leaves out and lists what the root lacks', () => {
    const fromString = publishedManifest(
      dev,
      { repository: 'https://example.invalid/sona.git' },
      'p',
    );
    expect(fromString.manifest.repository).toEqual({
      type: 'git',
      url: 'https://example.invalid/sona.git',
      directory: 'p',
    });
    expect(fromString.missing).toEqual(['homepage', 'bugs']);
    const bare = publishedManifest({ ...dev, homepage: 'stale' }, {}, 'p');
    expect(bare.missing).toEqual(['repository', 'homepage', 'bugs']);
    for (const field of ['repository', 'homepage', 'bugs'])
      expect(field in bare.manifest).toBe(false);
  });

  it('removes exactly the @sona/source conditions of any exports tree, at any depth', () => {
    const key = fc.constantFrom(
      '@sona/source',
      'import',
      'require',
      'types',
      'default',
      'node',
      './sub',
    );
    const { tree } = fc.letrec((tie) => ({
      tree: fc.oneof(
        { depthSize: 'small' },
        fc.string(),
        fc.dictionary(key, tie('tree'), { maxKeys: 4 }),
      ),
    }));
    fc.assert(
      fc.property(tree, (exports) => {
        const out = publishedManifest({ ...dev, exports }, root, 'p').manifest.exports;
        const kept = (path: string[]) => !path.includes('@sona/source');
        // Every leaf that is not under the condition survives unchanged, and nothing else does.
        expect(leaves(out)).toEqual(leaves(exports).filter(([path]) => kept(path)));
        expect(JSON.stringify(out ?? null)).not.toContain('"@sona/source"');
      }),
    );
  });

  it('is idempotent', () => {
    const once = publishedManifest(dev, root, 'packages/example').manifest;
    expect(publishedManifest(once, root, 'packages/example').manifest).toEqual(once);
  });
});

describe('the files a manifest names', () => {
  it('lists entry points, declarations, bins and export targets', () => {
    expect(referencedFiles(publishedManifest(dev, root, 'p').manifest)).toEqual([
      'bin/example.js',
      'dist/index.cjs',
      'dist/index.d.cts',
      'dist/index.d.ts',
      'dist/index.js',
      'package.json',
    ]);
  });

  it('ships what `files` names: whole folders and single files', () => {
    expect(ships(dev.files, 'dist/index.js')).toBe(true);
    expect(ships(dev.files, 'scripts/install.mjs')).toBe(true);
    expect(ships(dev.files, 'scripts/test.mjs')).toBe(false);
    expect(ships(dev.files, 'distant/x.js')).toBe(false);
    expect(ships(dev.files, 'package.json')).toBe(true);
    expect(ships(undefined, 'anything')).toBe(true);
  });
});

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

// A repository root holding one package folder, built (dist present) unless told otherwise.
function scratchRepository({ built = true, license = true } = {}): { root: string; dir: string } {
  const base = mkdtempSync(join(tmpdir(), 'sona-manifest-'));
  made.push(base);
  writeFileSync(join(base, 'package.json'), `${JSON.stringify(root, null, 2)}\n`);
  const dir = join(base, 'packages', 'example');
  for (const sub of ['dist', 'bin', 'scripts']) mkdirSync(join(dir, sub), { recursive: true });
  const scripts = {
    ...dev.scripts,
    install: 'node -e 0',
    prepack: `node ${tool} prepack --no-build --root ${base}`,
    postpack: `node ${tool} postpack --root ${base}`,
  };
  // Two-space JSON with a trailing space inside: the restore must be byte for byte.
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ ...dev, scripts }, null, 2)} \n`);
  if (built) {
    for (const file of ['index.js', 'index.cjs', 'index.d.ts', 'index.d.cts']) {
      writeFileSync(join(dir, 'dist', file), '');
    }
  }
  writeFileSync(join(dir, 'bin', 'example.js'), '');
  writeFileSync(join(dir, 'scripts', 'install.mjs'), '');
  writeFileSync(join(dir, 'README.md'), '# example\n');
  if (license) writeFileSync(join(dir, 'LICENSE'), 'MIT\n');
  return { root: base, dir };
}

describe('apply and restore', () => {
  it('swap the published manifest in and the development one back, byte for byte', () => {
    const { root: base, dir } = scratchRepository();
    const before = readFileSync(join(dir, 'package.json'), 'utf8');
    apply(dir, base);
    const published = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    expect(published.nx).toBeUndefined();
    expect(published.repository.directory).toBe('packages/example');
    expect(readFileSync(join(dir, BACKUP), 'utf8')).toBe(before);
    expect(restore(dir)).toBe(true);
    expect(readFileSync(join(dir, 'package.json'), 'utf8')).toBe(before);
    expect(existsSync(join(dir, BACKUP))).toBe(false);
    expect(restore(dir)).toBe(false);
  });

  it('refuse an unbuilt package or one without LICENSE, and change nothing', () => {
    for (const broken of [{ built: false }, { license: false }]) {
      const { root: base, dir } = scratchRepository(broken);
      const before = readFileSync(join(dir, 'package.json'), 'utf8');
      expect(() => apply(dir, base)).toThrow(
        broken.built === false ? /dist\/index.cjs does not exist/ : /LICENSE does not exist/,
      );
      expect(readFileSync(join(dir, 'package.json'), 'utf8')).toBe(before);
      expect(existsSync(join(dir, BACKUP))).toBe(false);
    }
  });

  it('refuse to run over the backup of a pack that did not finish', () => {
    const { root: base, dir } = scratchRepository();
    apply(dir, base);
    const published = readFileSync(join(dir, 'package.json'), 'utf8');
    expect(() => apply(dir, base)).toThrow(/an earlier pack did not finish/);
    expect(readFileSync(join(dir, 'package.json'), 'utf8')).toBe(published);
  });

  it('shippingProblems names a file outside `files`', () => {
    const { dir } = scratchRepository();
    const manifest = publishedManifest({ ...dev, files: ['dist'] }, root, 'p').manifest;
    expect(shippingProblems(dir, manifest)).toEqual(['bin/example.js is not in "files"']);
  });
});

describe('npm pack through prepack and postpack', () => {
  it('packs the published manifest and leaves the development one as it was', () => {
    const { dir } = scratchRepository();
    const before = readFileSync(join(dir, 'package.json'), 'utf8');
    const out = mkdtempSync(join(tmpdir(), 'sona-pack-'));
    made.push(out);
    const [packed] = JSON.parse(
      execFileSync('npm', ['pack', '--json', '--pack-destination', out], {
        cwd: dir,
        encoding: 'utf8',
        env: { ...process.env, npm_config_loglevel: 'error' },
      }),
    );
    expect(packed.files.map((f: { path: string }) => f.path).sort()).toEqual([
      'LICENSE',
      'README.md',
      'bin/example.js',
      'dist/index.cjs',
      'dist/index.d.cts',
      'dist/index.d.ts',
      'dist/index.js',
      'package.json',
      'scripts/install.mjs',
    ]);
    const inside = JSON.parse(
      execFileSync('tar', ['-xzOf', join(out, packed.filename), 'package/package.json'], {
        encoding: 'utf8',
      }),
    );
    expect(inside).toEqual(
      publishedManifest(JSON.parse(before), root, 'packages/example').manifest,
    );
    expect(readFileSync(join(dir, 'package.json'), 'utf8')).toBe(before);
    expect(existsSync(join(dir, BACKUP))).toBe(false);
  });

  it('refuses `npm publish` from a package folder, before anything changes', () => {
    const { dir } = scratchRepository();
    const before = readFileSync(join(dir, 'package.json'), 'utf8');
    const run = spawnSync('npm', ['publish', '--dry-run'], { cwd: dir, encoding: 'utf8' });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('publish with `npm run release`');
    expect(readFileSync(join(dir, 'package.json'), 'utf8')).toBe(before);
    expect(existsSync(join(dir, BACKUP))).toBe(false);
  });
});
