#!/usr/bin/env node
// Checks report.html pages in headless Chromium at a desktop width (1400 px) and a phone width
// (390 px): the page must never be wider than the window, and at 1400 px no table may need its
// own horizontal scroll bar. With --screenshots DIR it also writes a full-page PNG per page and
// width, to look at. Chromium is found as CHROMIUM, or chromium / chromium-browser /
// google-chrome on PATH (Debian: apt-get install chromium); without one it says so and exits 2.
//
//   node packages/bench/scripts/report-layout.mjs bench-results/report.html [...] [--screenshots DIR]
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const WIDTHS = [1400, 390];

const args = process.argv.slice(2);
let shots = null;
const pages = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--screenshots') shots = resolve(args[++i] ?? '');
  else pages.push(resolve(args[i]));
}
if (pages.length === 0) {
  process.stderr.write('usage: report-layout.mjs REPORT.html [...] [--screenshots DIR]\n');
  process.exit(2);
}

function findChromium() {
  const names = [process.env.CHROMIUM, 'chromium', 'chromium-browser', 'google-chrome'];
  for (const name of names.filter(Boolean)) {
    const r = spawnSync(name, ['--version'], { encoding: 'utf8' });
    if (r.status === 0) return name;
  }
  return null;
}

const chromium = findChromium();
if (chromium === null) {
  process.stderr.write(
    'report-layout: no Chromium found (set CHROMIUM, or install it: apt-get install chromium)\n',
  );
  process.exit(2);
}

// The page under test in an iframe of the given width; the result is written into the
// checker's own DOM, which --dump-dom prints.
const CHECKER = `<!doctype html><html><body style="margin:0"><pre id="out">pending</pre><script>
const q = new URLSearchParams(location.search);
const w = Number(q.get('w'));
const f = document.createElement('iframe');
f.style.cssText = 'width:' + w + 'px;height:2000px;border:0';
f.src = q.get('file');
f.onload = () => {
  const d = f.contentDocument;
  const out = { pageWidth: d.documentElement.scrollWidth, scrolling: [] };
  for (const el of d.querySelectorAll('.scroll, .chart')) {
    if (el.scrollWidth > el.clientWidth + 1) {
      const head = [...el.querySelectorAll('th')].slice(0, 3).map((t) => t.textContent).join(' | ');
      out.scrolling.push(el.clientWidth + ' px shows ' + el.scrollWidth + ' px: ' + (head || el.className));
    }
  }
  document.getElementById('out').textContent = JSON.stringify(out);
};
document.body.appendChild(f);
</script></body></html>`;

const work = mkdtempSync(join(tmpdir(), 'sona-report-layout-'));
const checker = join(work, 'check.html');
writeFileSync(checker, CHECKER);
const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars'];
let failed = false;
try {
  for (const page of pages) {
    for (const width of WIDTHS) {
      const url = `${pathToFileURL(checker).href}?w=${width}&file=${encodeURIComponent(pathToFileURL(page).href)}`;
      const r = spawnSync(
        chromium,
        [
          ...flags,
          '--allow-file-access-from-files',
          '--virtual-time-budget=5000',
          '--dump-dom',
          url,
        ],
        { encoding: 'utf8', timeout: 120_000 },
      );
      const m = /<pre id="out">([^<]*)<\/pre>/.exec(r.stdout ?? '');
      if (m === null || m[1] === 'pending') {
        process.stdout.write(`${page} at ${width} px: could not be measured\n`);
        failed = true;
        continue;
      }
      const result = JSON.parse(m[1].replace(/&quot;/g, '"').replace(/&amp;/g, '&'));
      // The window minus a vertical scroll bar's worth (15 px) is what the page may use.
      const wide = result.pageWidth > width;
      const scroll = width >= 1400 ? result.scrolling : [];
      const ok = !wide && scroll.length === 0;
      if (!ok) failed = true;
      process.stdout.write(
        `${ok ? 'ok  ' : 'FAIL'} ${page} at ${width} px: page ${result.pageWidth} px wide` +
          (result.scrolling.length === 0
            ? ', no table scrolls'
            : `, ${result.scrolling.length} scroll inside their box${width >= 1400 ? '' : ' (fine on a phone)'}`) +
          '\n',
      );
      for (const s of scroll) process.stdout.write(`       ${s}\n`);
      if (shots !== null) {
        mkdirSync(shots, { recursive: true });
        const file = join(
          shots,
          `${basename(dirname(page))}-${basename(page, '.html')}-${width}.png`,
        );
        spawnSync(
          chromium,
          [
            ...flags,
            `--window-size=${width},12000`,
            `--screenshot=${file}`,
            pathToFileURL(page).href,
          ],
          { encoding: 'utf8', timeout: 120_000 },
        );
        process.stdout.write(`       screenshot ${file}\n`);
      }
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
