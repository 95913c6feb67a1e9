import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../..', import.meta.url));

export interface Manifest {
  readonly name: string;
  readonly version: string;
  readonly license: string;
  readonly private?: boolean;
  readonly files: string[];
  readonly scripts: Record<string, string>;
  readonly dependencies?: Record<string, string>;
  readonly [field: string]: unknown;
}

export interface WorkspacePackage {
  /** The folder name under packages/. */
  readonly folder: string;
  readonly dir: string;
  readonly manifest: Manifest;
  readonly readme: string;
}

/** Every package under packages/ that has a package.json. */
export function workspacePackages(): WorkspacePackage[] {
  return readdirSync(join(root, 'packages'))
    .filter((folder) => existsSync(join(root, 'packages', folder, 'package.json')))
    .sort()
    .map((folder) => {
      const dir = join(root, 'packages', folder);
      return {
        folder,
        dir,
        manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')),
        readme: readFileSync(join(dir, 'README.md'), 'utf8'),
      };
    });
}

/** The top-level names of a package folder, and those git ignores (build outputs). */
export function topLevel(dir: string): { entries: string[]; ignored: string[] } {
  const entries = readdirSync(dir);
  const ignored = entries.filter((name) => {
    try {
      execFileSync('git', ['check-ignore', '-q', join(dir, name)], { cwd: root });
      return true;
    } catch {
      return false;
    }
  });
  return { entries, ignored };
}
