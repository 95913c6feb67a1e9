import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { publishedManifest, repositoryDirectory, shippingProblems, ships } from './manifest.mjs';
import { firstTsBlock, importedPackages, installedPackages, repoOnlyPaths } from './readme.mjs';
import { root, topLevel, workspacePackages } from './workspace';

const packages = workspacePackages().filter((p) => p.manifest.private !== true);
const rootManifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const license = readFileSync(join(root, 'LICENSE'), 'utf8');

it('finds the packages', () => {
  expect(packages.length).toBeGreaterThanOrEqual(10);
});

it('the licence is MIT, at the root and in every package', () => {
  expect(license).toMatch(/^MIT License\n/);
  for (const { manifest, dir } of packages) {
    expect(manifest.license, manifest.name).toBe('MIT');
    expect(readFileSync(join(dir, 'LICENSE'), 'utf8'), `${dir}/LICENSE`).toBe(license);
  }
});

it('every dependency on a workspace package accepts the workspace version', () => {
  const versions = new Map(packages.map((p) => [p.manifest.name, p.manifest.version]));
  for (const { manifest } of packages) {
    for (const [name, range] of Object.entries<string>(manifest.dependencies ?? {})) {
      if (!versions.has(name)) continue;
      // Ranges are written ^x.y.z of the current version; changesets moves both together.
      expect(range, `${manifest.name} → ${name}`).toBe(`^${versions.get(name)}`);
    }
  }
});

describe.each(packages)('$manifest.name', ({ manifest, dir, readme }) => {
  const { manifest: published } = publishedManifest(
    manifest,
    rootManifest,
    repositoryDirectory(root, dir),
  );

  it('packs through the publish tool and ships its README, LICENSE and CHANGELOG', () => {
    expect(manifest.scripts.prepack).toBe('node ../../tools/publish/manifest.mjs prepack');
    expect(manifest.scripts.postpack).toBe('node ../../tools/publish/manifest.mjs postpack');
    for (const file of ['README.md', 'CHANGELOG.md']) expect(manifest.files).toContain(file);
  });

  it('publishes no monorepo-only field', () => {
    const text = JSON.stringify(published);
    expect(text).not.toContain('@sona/source');
    expect(published.nx).toBeUndefined();
    expect(published.devDependencies).toBeUndefined();
    // What scripts remain run at install time: every file they name must ship.
    for (const command of Object.values<string>(published.scripts ?? {})) {
      for (const word of command.split(/\s+/).filter((w) => /^[\w./-]+\.[cm]?js$/.test(w))) {
        expect(ships(published.files, word.replace(/^\.\//, '')), `${command}: ${word}`).toBe(true);
      }
    }
  });

  it('the built package has every file its published manifest names', () => {
    expect(shippingProblems(dir, published)).toEqual([]);
  });

  it('the README names no file the tarball does not ship', () => {
    const found = repoOnlyPaths(readme, { files: manifest.files, ...topLevel(dir) });
    expect(
      found.map(({ path, line }) => `README.md:${line} ${path}`),
      'write a repository path as packages/<name>/… and say it is in the repository',
    ).toEqual([]);
  });

  it('the README says to install every package its first example imports', () => {
    const block = firstTsBlock(readme);
    expect(block, 'a ```ts example').toBeDefined();
    const installed = installedPackages(readme, block!.index);
    expect(installed).toContain(manifest.name);
    for (const name of importedPackages(block!.code)) {
      expect(installed, `the first example imports ${name}`).toContain(name);
    }
    // Installing a package the README does not use itself would be a wrong instruction.
    const known = new Set([manifest.name, ...Object.keys(manifest.dependencies ?? {})]);
    const workspace = new Set(packages.map((p) => p.manifest.name));
    for (const name of installed) expect(known.has(name) || workspace.has(name), name).toBe(true);
  });
});
