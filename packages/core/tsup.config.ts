import { defineConfig } from 'tsup';
import { sonaTsup } from '../../tools/tsup-preset';

// `@sona/core/cli` imports SonaError from `@sona/core` itself (kept external), so both entry
// points share one SonaError class.
export default defineConfig(
  sonaTsup({ entry: { index: 'src/index.ts', cli: 'src/cli/index.ts' }, external: ['@sona/core'] }),
);
