/** How figures are written in reports and on the terminal: one place, so every output agrees. */
import type { Verdict } from '../protocol/result';
import type { Estimate } from '../stats/bootstrap';

export function percent(x: number, digits = 1): string {
  return `${(100 * x).toFixed(digits)}%`;
}

export function estimateText(e: Estimate, digits = 1): string {
  return `${(100 * e.rate).toFixed(digits)}% [${(100 * e.ci[0]).toFixed(digits)}, ${(100 * e.ci[1]).toFixed(digits)}]`;
}

/** Fixed digits with an explicit sign; never "-0.0". */
export function signed(x: number, digits: number): string {
  const s = x.toFixed(digits);
  if (Number(s) === 0) return (0).toFixed(digits);
  return x > 0 ? `+${s}` : s;
}

/** A difference of rates in percentage points with its CI. */
export function pointsText(e: Estimate, digits = 1): string {
  return `${signed(100 * e.rate, digits)} pts [${signed(100 * e.ci[0], digits)}, ${signed(100 * e.ci[1], digits)}]`;
}

export function ratioText(e: Estimate, digits = 2): string {
  return `${e.rate.toFixed(digits)} [${e.ci[0].toFixed(digits)}, ${e.ci[1].toFixed(digits)}]`;
}

export function efficiencyText(e: Estimate): string {
  return `${(100 * e.rate).toFixed(1)}%/B [${(100 * e.ci[0]).toFixed(1)}, ${(100 * e.ci[1]).toFixed(1)}]`;
}

export function paramsText(paramsB: number): string {
  return `${paramsB}B`;
}

/** A cost in the data's own units: whole numbers from 1000 up, else three significant digits. */
export function costText(x: number): string {
  if (x === 0) return '0';
  if (Math.abs(x) >= 1000) return Math.round(x).toString();
  return Number(x.toPrecision(3)).toString();
}

/** An interval of exactly [0, 0] around 0: the two policies made the same choices on every task. */
export function identical(e: Estimate): boolean {
  return e.rate === 0 && e.ci[0] === 0 && e.ci[1] === 0;
}

/** A component's verdict in words (a difference of full minus component off). */
export function verdictText(verdict: Verdict, difference?: Estimate): string {
  if (difference !== undefined && identical(difference))
    return 'identical choices (no effect at all)';
  switch (verdict) {
    case 'helps':
      return 'helps (CI above 0)';
    case 'hurts':
      return 'hurts (CI below 0)';
    default:
      return 'no evidence it helps (CI includes 0)';
  }
}

/** One or two words for a table cell of a component's effect. */
export function verdictWord(verdict: Verdict, difference?: Estimate): string {
  if (difference !== undefined && identical(difference)) return 'identical choices';
  return verdict === 'no-evidence' ? 'no evidence' : verdict;
}

/** A learned-minus-other verdict in words: better, worse or no evidence. */
export function comparisonWord(verdict: Verdict, difference?: Estimate): string {
  if (difference !== undefined && identical(difference)) return 'identical choices';
  return verdict === 'helps' ? 'better' : verdict === 'hurts' ? 'worse' : 'no evidence';
}

export function learnerText(learner: string): string {
  return learner === 'sona' ? 'SONA engine' : `${learner} (baseline, not SONA)`;
}

/** 1, 2 or 5 times a power of ten, the smallest at least `raw` (> 0). */
export function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5]) if (m * power >= raw) return m * power;
  return 10 * power;
}
