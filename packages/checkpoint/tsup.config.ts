import { defineConfig } from 'tsup';
import { sonaTsup } from '../../tools/tsup-preset';

export default defineConfig(sonaTsup({ entry: ['src/index.ts', 'src/cli.ts'] }));
