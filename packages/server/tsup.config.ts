import { defineConfig } from 'tsup';
import { sonaTsup } from '../../tools/tsup-preset';

// shims: the CommonJS build gets import.meta.url, which locates the checkpoint worker.
export default defineConfig(
  sonaTsup({
    shims: true,
    nodeEntries: { cli: 'src/cli.ts', 'checkpoint-worker': 'src/checkpoint-worker.ts' },
  }),
);
