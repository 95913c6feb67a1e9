/** Progress of a run: a redrawn bar on a terminal, a plain line per tenth otherwise. */
export interface Progress {
  update(done: number, total: number): void;
  finish(): void;
}

export function createProgress(
  stream: { write(s: string): unknown },
  isTTY: boolean,
  now: () => number = Date.now,
): Progress {
  const started = now();
  let lastTenth = -1;
  let drawn = false;
  return {
    update(done, total) {
      const seconds = ((now() - started) / 1000).toFixed(1);
      if (isTTY) {
        const width = 30;
        const filled = Math.round((done / total) * width);
        stream.write(
          `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} jobs · ${seconds} s`,
        );
        drawn = true;
        return;
      }
      const tenth = Math.floor((done / total) * 10);
      if (tenth > lastTenth) {
        lastTenth = tenth;
        stream.write(
          `progress: ${done}/${total} jobs (${Math.floor((100 * done) / total)}%), ${seconds} s\n`,
        );
      }
    },
    finish() {
      if (drawn) stream.write('\n');
    },
  };
}
