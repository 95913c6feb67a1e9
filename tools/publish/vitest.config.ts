import { defineConfig, mergeConfig } from 'vitest/config';
import { sonaVitest } from '../vitest-preset';

// These tests check what users get: the built packages (through Node, never through the
// `@sona/source` condition), their manifests, READMEs and tarballs.
export default mergeConfig(sonaVitest(), defineConfig({ test: { include: ['*.test.ts'] } }));
