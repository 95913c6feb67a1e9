import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * Tests run against the TypeScript sources of every @sona package: the
 * `@sona/source` export condition points each package at its `src/index.ts`.
 */
export function sonaVitest() {
  return defineConfig({
    resolve: { conditions: ['@sona/source'] },
    ssr: { resolve: { conditions: ['@sona/source'], externalConditions: ['@sona/source'] } },
    test: {
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      environment: 'node',
      testTimeout: 60_000,
      setupFiles: [fileURLToPath(new URL('./vitest-setup.ts', import.meta.url))],
    },
  });
}
