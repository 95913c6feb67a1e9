/** Progress of a run: a redrawn bar on a terminal, a plain line per tenth otherwise. */
export interface Progress {
  update(done: number, total: number): void;
  finish(): void;
}

export interface ProgressTarget {
  write(s: string): unknown;
  /** The terminal's width in columns (a TTY stream has it); 80 when unknown. */
  readonly columns?: number;
}

export interface ProgressOptions {
  /** Draw a bar redrawn in place (a terminal); otherwise plain lines. */
  readonly tty: boolean;
  /** Milliseconds between two redraws of the bar (the last state is always drawn). */
  readonly redrawMs?: number;
  /** The clock (tests). */
  readonly now?: () => number;
}

/** The narrowest and widest bar, in characters. */
const MIN_BAR = 10;
const MAX_BAR = 40;
const ERASE_TO_END = '\u001b[K';

/** A duration for people: `42 s`, `3 min 05 s`, `1 h 02 min`. */
export function durationText(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** Time left at the pace so far; null before anything is done. */
function etaMs(elapsed: number, done: number, total: number): number | null {
  return done <= 0 ? null : (elapsed / done) * (total - done);
}

/**
 * One line of the bar, at most `columns - 1` characters (so the terminal never wraps it):
 * `[########..........]  42%  101/240 jobs · 12 s · ETA 16 s`. The bar takes what the text
 * leaves, between 10 and 40 characters; on a terminal too narrow even for that, the text alone.
 */
export function barLine(done: number, total: number, elapsedMs: number, columns: number): string {
  const fraction = total <= 0 ? 1 : Math.min(1, Math.max(0, done / total));
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
  const eta = etaMs(elapsedMs, done, total);
  const parts = [
    `${percent}  ${done}/${total} jobs`,
    durationText(elapsedMs),
    ...(done >= total ? [] : [`ETA ${eta === null ? '…' : durationText(eta)}`]),
  ];
  const text = parts.join(' · ');
  const fit = Math.max(1, columns - 1);
  const room = fit - text.length - 3;
  if (room < MIN_BAR) {
    // Too narrow for a bar: the text alone, dropping its last parts (then characters) to fit.
    const plain = [parts[0]!.trimStart(), ...parts.slice(1)];
    while (plain.length > 1 && plain.join(' · ').length > fit) plain.pop();
    return plain.join(' · ').slice(0, fit);
  }
  const width = Math.min(MAX_BAR, room);
  const filled = Math.floor(fraction * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}`;
}

/**
 * On a terminal (`tty`): one line redrawn in place (carriage return, then erase to the end of the
 * line), fitted to the terminal's width, with the percentage, the elapsed time and an ETA,
 * redrawn at most every `redrawMs` (100 ms) and always at the end. Otherwise (a file, a pipe, CI):
 * a plain line at each tenth, with the percentage and the ETA.
 */
export function createProgress(stream: ProgressTarget, options: ProgressOptions): Progress {
  const now = options.now ?? Date.now;
  const redrawMs = options.redrawMs ?? 100;
  const started = now();
  let lastTenth = -1;
  let lastDraw = Number.NEGATIVE_INFINITY;
  let drawn = false;
  return {
    update(done, total) {
      const t = now();
      const elapsed = t - started;
      if (options.tty) {
        if (done < total && t - lastDraw < redrawMs) return;
        lastDraw = t;
        const columns =
          stream.columns !== undefined && stream.columns > 0 ? Math.floor(stream.columns) : 80;
        stream.write(`\r${barLine(done, total, elapsed, columns)}${ERASE_TO_END}`);
        drawn = true;
        return;
      }
      const tenth = total <= 0 ? 10 : Math.floor((done / total) * 10);
      if (tenth > lastTenth) {
        lastTenth = tenth;
        const eta = etaMs(elapsed, done, total);
        stream.write(
          `progress: ${done}/${total} jobs (${total <= 0 ? 100 : Math.floor((100 * done) / total)}%), ` +
            `${(elapsed / 1000).toFixed(1)} s` +
            (done >= total || eta === null ? '' : `, about ${durationText(eta)} left`) +
            '\n',
        );
      }
    },
    finish() {
      if (drawn) stream.write('\n');
      drawn = false;
    },
  };
}
