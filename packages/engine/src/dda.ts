import { SonaError } from '@sona/core';

/**
 * Dynamic difficulty adjustment (SPEC): over a window of the last 20 outcomes, a success rate
 * above 0.7 raises the target difficulty by 0.05, below 0.5 lowers it by 0.05, clamped to
 * [0.1, 0.9] (aiming at about 60% success). The window empties after each adjustment, so the
 * next decision rests on 20 outcomes at the new difficulty rather than on stale ones.
 */
export const DDA = {
  window: 20,
  raiseAbove: 0.7,
  lowerBelow: 0.5,
  step: 0.05,
  min: 0.1,
  max: 0.9,
  initial: 0.5,
} as const;

export interface DdaState {
  /** Target difficulty, a multiple of 0.05 in [0.1, 0.9]. */
  readonly difficulty: number;
  /** Outcomes since the last adjustment, oldest first (at most `DDA.window`). */
  readonly outcomes: readonly boolean[];
}

export function initialDda(): DdaState {
  return { difficulty: DDA.initial, outcomes: [] };
}

/** Kept on a 0.05 grid so repeated steps never drift (0.1 + 0.05 + ... is not exact in binary). */
function onGrid(value: number): number {
  return Math.round(value * 100) / 100;
}

export function ddaAfter(state: DdaState, success: boolean): DdaState {
  const outcomes = [...state.outcomes, success];
  if (outcomes.length < DDA.window) return { difficulty: state.difficulty, outcomes };
  const rate = outcomes.filter(Boolean).length / outcomes.length;
  let difficulty = state.difficulty;
  if (rate > DDA.raiseAbove) difficulty = Math.min(DDA.max, onGrid(difficulty + DDA.step));
  else if (rate < DDA.lowerBelow) difficulty = Math.max(DDA.min, onGrid(difficulty - DDA.step));
  return { difficulty, outcomes: [] };
}

export function checkDdaState(value: unknown): DdaState {
  const state = value as DdaState;
  if (
    typeof state !== 'object' ||
    state === null ||
    typeof state.difficulty !== 'number' ||
    !(state.difficulty >= DDA.min && state.difficulty <= DDA.max) ||
    !Array.isArray(state.outcomes) ||
    state.outcomes.length >= DDA.window ||
    !state.outcomes.every((o) => typeof o === 'boolean')
  ) {
    throw new SonaError('INVALID_ARGUMENT', 'not a DDA state', { path: 'dda' });
  }
  return { difficulty: state.difficulty, outcomes: [...state.outcomes] };
}
