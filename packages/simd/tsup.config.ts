import { defineConfig } from 'tsup';
import { sonaTsup } from '../../tools/tsup-preset';

// shims: the CommonJS build gets import.meta.url, which locates the native addon.
export default defineConfig(sonaTsup({ shims: true }));
