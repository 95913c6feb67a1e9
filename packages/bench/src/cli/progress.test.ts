import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { barLine, createProgress, durationText } from './progress';

function recorder(columns?: number) {
  const writes: string[] = [];
  return { writes, stream: { write: (s: string) => writes.push(s), columns } };
}

describe('the progress bar on a terminal', () => {
  it('always fits the terminal width (never wraps) and shows the percentage and done/total', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 1, max: 100_000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 0, max: 10 * 3600 * 1000 }),
        (columns, total, share, elapsed) => {
          const done = Math.floor(share * total);
          const line = barLine(done, total, elapsed, columns);
          expect(line.length).toBeLessThanOrEqual(Math.max(1, columns - 1));
          if (columns >= 80) {
            expect(line).toContain(`${Math.floor((100 * done) / total)}%`);
            expect(line).toContain(`${done}/${total} jobs`);
            expect(line).toMatch(/^\[[#.]+\] /);
          }
        },
      ),
    );
  });

  it('fills the bar in proportion and gives an ETA at the pace so far', () => {
    expect(barLine(60, 240, 30_000, 100)).toBe(
      `[${'#'.repeat(10)}${'.'.repeat(30)}]  25%  60/240 jobs · 30 s · ETA 1 min 30 s`,
    );
    expect(barLine(0, 240, 500, 80)).toMatch(/ 0% {2}0\/240 jobs · 1 s · ETA …$/);
    expect(barLine(240, 240, 61_000, 100)).toMatch(
      /^\[#{40}\] 100% {2}240\/240 jobs · 1 min 01 s$/,
    );
    // A narrow terminal gets a shorter bar, then the text alone.
    expect(barLine(60, 240, 30_000, 60)).toMatch(/^\[#{3}\.{12}\] {2}25%/);
    expect(barLine(60, 240, 30_000, 50)).toBe('25%  60/240 jobs · 30 s · ETA 1 min 30 s');
    expect(barLine(60, 240, 30_000, 30)).toBe('25%  60/240 jobs · 30 s');
    expect(barLine(60, 240, 30_000, 12)).toBe('25%  60/240');
  });

  it('redraws in place at most every 100 ms (and always the last state), erasing what was left', () => {
    let t = 0;
    const { writes, stream } = recorder(100);
    const progress = createProgress(stream, { tty: true, now: () => t });
    for (let done = 1; done <= 1000; done++) {
      t += 1;
      progress.update(done, 1000);
    }
    progress.finish();
    // 1 s of updates every millisecond: 10 redraws (t = 1, 101, …, 901) and the last one.
    expect(writes).toHaveLength(12);
    for (const w of writes.slice(0, -1)) {
      expect(w.startsWith('\r[')).toBe(true);
      expect(w.endsWith('\u001b[K')).toBe(true);
      expect(w).not.toContain('\n');
    }
    expect(writes[10]).toContain('100%  1000/1000 jobs');
    expect(writes[11]).toBe('\n');
  });

  it('uses 80 columns when the width is unknown', () => {
    const { writes, stream } = recorder(undefined);
    createProgress(stream, { tty: true, now: () => 0 }).update(1, 2);
    expect(writes[0]!.length - '\r'.length - '\u001b[K'.length).toBeLessThanOrEqual(79);
  });
});

describe('progress elsewhere (a file, a pipe, CI)', () => {
  it('is one plain line per tenth, with the percentage and the time left, never redrawn', () => {
    let t = 0;
    const { writes, stream } = recorder(100);
    const progress = createProgress(stream, { tty: false, now: () => t });
    for (let done = 1; done <= 240; done++) {
      t += 250;
      progress.update(done, 240);
    }
    progress.finish();
    expect(writes).toHaveLength(11);
    expect(writes[0]).toBe('progress: 1/240 jobs (0%), 0.3 s, about 1 min 00 s left\n');
    expect(writes[5]).toBe('progress: 120/240 jobs (50%), 30.0 s, about 30 s left\n');
    expect(writes[10]).toBe('progress: 240/240 jobs (100%), 60.0 s\n');
    for (const w of writes) expect(w.includes('\r') || w.includes('\u001b')).toBe(false);
  });
});

describe('durationText', () => {
  it('reads as seconds, minutes or hours', () => {
    expect(durationText(0)).toBe('0 s');
    expect(durationText(59_400)).toBe('59 s');
    expect(durationText(60_000)).toBe('1 min 00 s');
    expect(durationText(3_599_000)).toBe('59 min 59 s');
    expect(durationText(3_725_000)).toBe('1 h 02 min');
  });
});
