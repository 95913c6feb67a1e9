import { defineConfig } from 'tsup';
import { sonaTsup } from '../../tools/tsup-preset';

// The CLI and the worker-thread entry are built beside the library: the worker pool loads
// `dist/worker.js` relative to the module that starts it. `shims` gives the CJS build an
// `import.meta.url` to resolve that path from.
export default defineConfig(
  sonaTsup({ nodeEntries: { cli: 'src/cli.ts', worker: 'src/worker.ts' }, shims: true }),
);
