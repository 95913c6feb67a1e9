/**
 * The v3 components an ablation switches off, one at a time. Each key is passed to the learner
 * factory as `overrides: { [key]: false }`; the engine honours these keys.
 */
export const ABLATIONS = [
  { key: 'multiHead', component: 'Multi-head LoRA (one shared adapter instead)' },
  { key: 'curriculum', component: 'Curriculum and DDA (training tasks picked uniformly)' },
  { key: 'per', component: 'Prioritized experience replay (uniform replay instead)' },
  { key: 'diversity', component: 'Diversity bonus in pattern selection' },
  { key: 'contrastive', component: 'Contrastive (InfoNCE) learning' },
  { key: 'metaLr', component: 'Meta-adaptive learning rate (fixed rate instead)' },
  { key: 'ewc', component: 'EWC++ consolidation' },
] as const;

export type AblationKey = (typeof ABLATIONS)[number]['key'];

export const ABLATION_KEYS: readonly AblationKey[] = ABLATIONS.map((a) => a.key);

/** The overrides that switch one component off. */
export function ablationOverrides(key: AblationKey): Readonly<Record<string, unknown>> {
  return { [key]: false };
}
