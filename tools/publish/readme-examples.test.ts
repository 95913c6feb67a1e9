import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstTsBlock } from './readme.mjs';
import { root, workspacePackages } from './workspace';

// Each package README opens with an example. Here it runs as written, as a user's ES module in a
// project of its own, against the built packages (their `import` exports, as a user gets them),
// and type-checks under strict TypeScript with Node's own module resolution.
const examples = workspacePackages()
  .filter((p) => p.manifest.private !== true)
  .map((p) => ({
    name: p.manifest.name as string,
    folder: p.folder,
    block: firstTsBlock(p.readme),
  }));

let project: string;

beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), 'sona-readme-'));
  symlinkSync(join(root, 'node_modules'), join(project, 'node_modules'), 'dir');
  writeFileSync(join(project, 'package.json'), '{ "type": "module", "private": true }\n');
  writeFileSync(
    join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        target: 'ES2022',
        lib: ['ES2022'],
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        types: ['node'],
        noEmit: true,
        skipLibCheck: false,
      },
      include: ['*.ts'],
    }),
  );
  for (const { folder, block } of examples) {
    if (block === undefined) continue;
    writeFileSync(join(project, `${folder}.ts`), block.code);
    const js = ts.transpileModule(block.code, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    }).outputText;
    writeFileSync(join(project, `${folder}.mjs`), js);
  }
});

afterAll(() => {
  if (project !== undefined) rmSync(project, { recursive: true, force: true });
});

describe('the first example of every package README', () => {
  it('type-checks under strict TypeScript', () => {
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const run = spawnSync(process.execPath, [tsc, '-p', '.'], { cwd: project, encoding: 'utf8' });
    expect(run.stdout, 'tsc errors').toBe('');
    expect(run.status).toBe(0);
  });

  it.each(examples)('$name: runs as written', ({ folder, block }) => {
    expect(block, 'a ```ts block').toBeDefined();
    const run = spawnSync(process.execPath, [join(project, `${folder}.mjs`)], {
      cwd: project,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(run.stderr, 'stderr').toBe('');
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout.length, 'the example prints what it shows').toBeGreaterThan(0);
  });
});
