import { describe, expect, it } from 'vitest';
import { firstTsBlock, importedPackages, installedPackages, repoOnlyPaths } from './readme.mjs';

const readme = `# @sona/x

\`\`\`sh
npm install @sona/x @sona/core@^0.1.0 --save
\`\`\`

\`\`\`ts
import { a } from '@sona/x';
import { createRng } from '@sona/core';
import { readFileSync } from 'node:fs';
import type { T } from 'zod/v4';
const m = await import('pure-rand/distribution');
\`\`\`

\`\`\`ts
import { later } from '@sona/later';
\`\`\`

See \`src/thing.ts\`, \`dist/index.js\`, \`build/Release/x.node\`, \`packages/x/src/thing.ts\`,
\`@sona/core\`, \`bench-results/out.json\`, \`scripts/install.mjs\`, \`scripts/test.mjs\`,
[the guide](docs/guide.md), [a section](#api), [the site](https://example.invalid/).

\`\`\`sh
npx tool --data ../shared/data/raw.jsonl --out bench-results  # src/ignored-in-comment.ts
\`\`\`
`;

describe('README checks', () => {
  it('finds the first ts block and the packages it imports', () => {
    const block = firstTsBlock(readme);
    expect(block?.code).toContain("from '@sona/x'");
    expect(block?.code).not.toContain('@sona/later');
    expect(importedPackages(block!.code)).toEqual(['@sona/core', '@sona/x', 'pure-rand', 'zod']);
  });

  it('reads the npm install lines before a point, without versions and options', () => {
    expect(installedPackages(readme)).toEqual(['@sona/core', '@sona/x']);
    expect(installedPackages(readme, 0)).toEqual([]);
  });

  it('flags relative links, paths out of the package and unshipped package files only', () => {
    const found = repoOnlyPaths(readme, {
      files: ['dist', 'scripts/install.mjs', 'README.md'],
      entries: ['src', 'dist', 'build', 'scripts', 'README.md', 'package.json'],
      ignored: ['dist', 'build'],
    });
    expect(found.map((f: { path: string }) => f.path)).toEqual([
      'src/thing.ts',
      'scripts/test.mjs',
      'docs/guide.md',
      '../shared/data/raw.jsonl',
    ]);
  });
});
