import { defineConfig } from 'tsup';
import { sonaTsup } from '../../tools/tsup-preset';

export default defineConfig(sonaTsup({ nodeEntries: { cli: 'src/cli.ts' } }));
