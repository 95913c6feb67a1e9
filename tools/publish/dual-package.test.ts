import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The fixture runs in plain Node against the built packages: an ESM import and a CJS require of
// the same package give two copies of every class.
const fixture = fileURLToPath(new URL('./fixtures/dual-package.mjs', import.meta.url));

describe('the ESM and CJS builds used together', () => {
  const report = JSON.parse(execFileSync(process.execPath, [fixture], { encoding: 'utf8' }));

  for (const direction of ['esm->cjs', 'cjs->esm']) {
    it(`${direction}: each build accepts the other's Rng and recognises its SonaErrors`, () => {
      const seen = report[direction];
      expect(seen.classesDiffer).toBe(true); // two copies, so instanceof alone would fail
      expect(seen.rngInstanceof).toBe(true);
      expect(seen.assertRngAccepts).toBe(true);
      expect(seen.errorIsSonaError).toBe(true);
      expect(seen.errorInstanceof).toBe(true);
      expect(seen.errorCode).toBe('INVALID_ARGUMENT');
      expect(seen.checkpointErrorIsSonaError).toBe(true);
    });

    it(`${direction}: the engine of one build runs on the other's Rng, with the same choices`, () => {
      const seen = report[direction];
      expect(seen.engineAcceptsRng).toBe(true);
      expect(seen.sameDecisions).toBe(true);
      expect(seen.engineRefusesLookAlike).toBe(true);
      expect(seen.engineRefusalMessage).toMatch(/rng must be an Rng/);
    });
  }
});
