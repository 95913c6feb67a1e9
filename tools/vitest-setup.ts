import fc from 'fast-check';

// Under CI every property runs from one fixed seed (FAST_CHECK_SEED, default 1), so a landing
// never depends on the luck of a draw and any failure reproduces exactly; local runs keep
// fast-check's fresh random seeds and go on exploring.
if (process.env.CI) {
  fc.configureGlobal({ seed: Number(process.env.FAST_CHECK_SEED ?? 1) });
}
