import { defineConfig } from 'tsup';
import { sonaTsup } from '../../tools/tsup-preset';

// The CLI and the worker-thread entry are built beside the library: the worker pool loads
// `dist/worker.js` relative to the module that starts it. `shims` gives the CJS build an
// `import.meta.url` to resolve that path from. The subpaths (`@sona/bench/stats`, ...) are
// library entries of their own.
export default defineConfig(
  sonaTsup({
    nodeEntries: { cli: 'src/cli.ts', worker: 'src/worker.ts' },
    subpaths: {
      stats: 'src/stats/index.ts',
      learners: 'src/learners/index.ts',
      simulated: 'src/simulated/index.ts',
      protocol: 'src/protocol/index.ts',
      report: 'src/output/index.ts',
    },
    shims: true,
  }),
);
